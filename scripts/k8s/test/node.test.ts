// A real node next to a private control plane: it registers and becomes Ready, runs a Pod
// of the locally built pause image with a hostPort (reached from the host), deletes it,
// and stop() leaves nothing behind.
//   node --test scripts/k8s/test/node.test.ts      (root; builds kubelet/kube-scheduler on first use)
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startKubeControlPlane } from '../../test-services/kube.ts';
import { apiFromKubeconfig, poll } from '../api.ts';
import { exec, listNodeNamespaces } from '../node-network.ts';
import { findLeftovers, startNode, type KubeNode } from '../node.ts';

const log = (m: string) => process.stderr.write(`[node.test] ${m}\n`);

// Host paths a kubelet or containerd writes by default; the node must not create them.
const HOST_PATHS = [
  '/run/containerd',
  '/var/lib/containerd',
  '/var/lib/kubelet',
  '/var/log/pods',
  '/var/log/containers',
  '/opt/containerd',
  '/var/lib/cni',
  '/etc/cni/net.d',
  '/usr/libexec/kubernetes',
  '/etc/kubernetes',
];
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

async function hostState() {
  return {
    paths: HOST_PATHS.filter((p) => existsSync(p)),
    sysctls: SYSCTLS.map((s) => `${s}=${readFileSync(`/proc/sys/${s}`, 'utf8').trim()}`),
    iptables: (await exec('iptables-save', [])).split('\n').filter((l) => /CNI-|KUBE-/.test(l)),
  };
}

function readLine(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`timeout reading ${host}:${port}`)));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
    });
    socket.on('end', () => resolve(data.trim()));
    socket.on('error', reject);
  });
}

interface Pod {
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; hostIP?: string; conditions?: { type: string; status: string }[] };
}

test('a node registers, runs a hostPort pod reachable from the host, and stops without leftovers', { timeout: 600_000 }, async (t) => {
  const before = { ...(await hostState()), runNetns: existsSync('/run/netns') };
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-node-test-'));
  const plane = await startKubeControlPlane({ dir, log });
  t.after(async () => {
    await plane.stop();
    await rm(dir, { recursive: true, force: true });
  });
  let node: KubeNode | undefined;
  t.after(async () => {
    await node?.stop().catch((e: Error) => log(e.message));
  });

  node = await startNode(plane, { log });
  const api = apiFromKubeconfig(plane.kubeconfig);

  // Ready, as the API reports it, with the expected addresses and runtime.
  const nodeObj = (
    await api.request<{
      status: {
        conditions: { type: string; status: string }[];
        addresses: { type: string; address: string }[];
        nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string };
      };
    }>('GET', `/api/v1/nodes/${node.name}`)
  ).body;
  assert.equal(nodeObj.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  assert.deepEqual(nodeObj.status.addresses.find((a) => a.type === 'InternalIP')?.address, node.nodeIP);
  assert.match(nodeObj.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
  assert.equal(nodeObj.status.nodeInfo.kubeletVersion, 'v1.32.9');
  log(`node ${node.name} Ready in ${node.startMs} ms`);

  // A namespace with its default ServiceAccount and kube-root-ca.crt (token volume).
  const ns = 'node-test';
  assert.equal(
    (await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status,
    201,
  );
  await poll(
    'default ServiceAccount and kube-root-ca.crt',
    async () =>
      (await api.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200 &&
      (await api.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`)).status === 200
        ? true
        : undefined,
    60_000,
  );

  const hostPort = 18080;
  const created = await api.request<Pod>('POST', `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pause' },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'pause',
          image: node.pauseImage,
          imagePullPolicy: 'Never',
          args: ['-l', '8080'],
          ports: [{ containerPort: 8080, hostPort, protocol: 'TCP' }],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const began = Date.now();
  const pod = await poll(
    'pod Running and Ready',
    async () => {
      const p = (await api.request<Pod>('GET', `/api/v1/namespaces/${ns}/pods/pause`)).body;
      return p.status.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
    },
    120_000,
  );
  log(`pod Ready ${Date.now() - began} ms after creation, IP ${pod.status.podIP}`);
  assert.equal(pod.spec.nodeName, node.name, 'scheduled by kube-scheduler onto the node');
  assert.equal(pod.status.hostIP, node.nodeIP);
  assert.ok(pod.status.podIP?.startsWith(node.podCIDR.replace(/0\/24$/, '')), pod.status.podIP);

  // End to end from the host: the hostPort on the node IP (portmap DNAT) and the pod IP.
  assert.equal(await readLine(node.nodeIP, hostPort), 'flotilla-pause pause');
  assert.equal(await readLine(pod.status.podIP!, 8080), 'flotilla-pause pause');

  // apiserver -> kubelet (pod logs): routed to the node IP, kubelet authenticates the
  // apiserver's client certificate and authorizes it with a SubjectAccessReview.
  const logs = await api.request('GET', `/api/v1/namespaces/${ns}/pods/pause/log`);
  assert.equal(logs.status, 200, JSON.stringify(logs.body));

  // Deleted: gone from the API, its containers and hostPort rules gone from the node.
  assert.equal((await api.request('DELETE', `/api/v1/namespaces/${ns}/pods/pause`)).status, 200);
  await poll(
    'pod deleted',
    async () => ((await api.request('GET', `/api/v1/namespaces/${ns}/pods/pause`)).status === 404 ? true : undefined),
    60_000,
  );
  const ctr = (...args: string[]) => exec('ctr', ['--address', node!.containerdSocket, '--namespace', 'k8s.io', ...args]);
  await poll('no running tasks', async () => ((await ctr('tasks', 'list', '--quiet')).trim() === '' ? true : undefined), 60_000);
  await poll(
    'hostPort rule removed',
    async () => {
      const rules = await exec('nsenter', [`--net=/run/netns/${node!.netns}`, '--', 'iptables-save', '-t', 'nat']);
      return rules.includes(`--dport ${hostPort}`) ? undefined : true;
    },
    60_000,
  );

  // stop() removes everything (it throws if it finds leftovers; checked again here), the
  // API forgets the node, and the host looks as before.
  const footprint = node.footprint;
  const name = node.name;
  await node.stop();
  node = undefined;
  assert.deepEqual(await findLeftovers(footprint), []);
  assert.deepEqual({ ...(await hostState()), runNetns: before.runNetns }, before);
  // /run/netns (made by `ip netns add`) goes with the last namespace, unless another node runs.
  if (listNodeNamespaces().length === 0) assert.equal(existsSync('/run/netns'), before.runNetns);
  assert.equal((await api.request('GET', `/api/v1/nodes/${name}`)).status, 404);
});
