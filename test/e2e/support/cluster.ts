/**
 * The harness's cluster with a real node (scripts/test-services/kube-node.ts), seen from
 * the host: its API, the node's containerd (image import, killing a container's
 * process), Pods and their addresses (the host routes the Pod network), and relays that
 * let Pods reach servers the harness runs on 127.0.0.1 (PostgreSQL).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type KubeClient, type KubeObject, Resources } from '@flotilla/kube';
import { clientFor, servicesRequired } from '@flotilla/testing';
import { addressesFor, parseNetnsName, startHostRelay, type HostRelay } from '../../../scripts/k8s/node-network.ts';

const run = promisify(execFile);

export interface NodeCluster {
  client: KubeClient;
  kubeconfig: string;
  nodeName: string;
  containerd: string;
  /** the host end of the node's veth: what Pods dial to reach a relayed host port */
  hostIP: string;
  relay(port: number): Promise<HostRelay>;
  close(): Promise<void>;
}

/** The node cluster from the environment, or a reason to skip (a failure under npm test). */
export function nodeClusterOrSkipReason(): NodeCluster | { skip: string } {
  const env = process.env;
  const kubeconfig = env.FLOTILLA_TEST_NODE_KUBECONFIG;
  const netns = env.FLOTILLA_TEST_NODE_NETNS;
  if (!kubeconfig || !netns || !env.FLOTILLA_TEST_NODE_CONTAINERD || !env.FLOTILLA_TEST_NODE_NAME) {
    if (servicesRequired)
      throw new Error('FLOTILLA_TEST_NODE_* are not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: the kube-node test server did not start');
    return { skip: 'no node cluster: start scripts/test-services with kube-node' };
  }
  const slot = parseNetnsName(netns);
  if (slot === undefined) throw new Error(`FLOTILLA_TEST_NODE_NETNS=${netns} is not a node namespace name`);
  const net = addressesFor(slot.slot, slot.pid);
  const client = clientFor(kubeconfig);
  const relays: HostRelay[] = [];
  return {
    client,
    kubeconfig,
    nodeName: env.FLOTILLA_TEST_NODE_NAME,
    containerd: env.FLOTILLA_TEST_NODE_CONTAINERD,
    hostIP: net.hostIP,
    async relay(port) {
      const relay = await startHostRelay(net, port);
      relays.push(relay);
      return relay;
    },
    async close() {
      await Promise.all(relays.map((r) => r.close()));
      await client.close();
    },
  };
}

/** `ctr` against the node's containerd, in the namespace the kubelet uses. */
export async function ctr(cluster: NodeCluster, ...args: string[]): Promise<string> {
  const { stdout } = await run('ctr', ['--address', cluster.containerd, '--namespace', 'k8s.io', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

/** Imports OCI archives (scripts/images output) into the node's containerd under their own names. */
export async function importImages(cluster: NodeCluster, archives: string[]): Promise<void> {
  for (const archive of archives) await ctr(cluster, 'images', 'import', archive);
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export interface Pod extends KubeObject {
  spec: { nodeName?: string; containers: { name: string; image: string; env?: EnvVar[] }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; containerID?: string; restartCount: number; ready: boolean }[];
  };
}

export function isReady(pod: Pod): boolean {
  return (
    pod.metadata.deletionTimestamp === undefined && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

export async function podsOf(cluster: NodeCluster, namespace: string, microservice: string): Promise<Pod[]> {
  const list = await cluster.client.list<Pod>(Resources.Pod, namespace, { labelSelector: `flotilla.dev/microservice=${microservice}` });
  return list.items;
}

export async function readyPods(cluster: NodeCluster, namespace: string, microservice: string): Promise<Pod[]> {
  return (await podsOf(cluster, namespace, microservice)).filter(isReady);
}

/** SIGKILL to the container's main process, through containerd (what `kill -9` on the node does). */
export async function killContainer(cluster: NodeCluster, pod: Pod): Promise<void> {
  const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
  if (!id) throw new Error(`pod ${pod.metadata.name} has no running container`);
  await ctr(cluster, 'tasks', 'kill', '--signal', 'SIGKILL', id);
}
