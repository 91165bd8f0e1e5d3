// A Kubernetes cluster with a real node for the end-to-end suites: its own etcd,
// kube-apiserver and kube-controller-manager (with the controllers a node needs), plus a
// kubelet on containerd and kube-scheduler (scripts/k8s/node.ts). It is a cluster of its
// own, apart from `kube`: suites on the shared control plane create Deployments whose
// Pods must stay Pending, and count ConfigMaps a node's controllers would add.
//
// env for tests:
//   FLOTILLA_TEST_NODE_KUBECONFIG     admin kubeconfig of this cluster
//   FLOTILLA_TEST_NODE_NAME           the Node's name
//   FLOTILLA_TEST_NODE_IP             its InternalIP (hostPorts answer there, routed from the host)
//   FLOTILLA_TEST_NODE_NETNS          its network namespace (pods' bridge, kubelet, containerd)
//   FLOTILLA_TEST_NODE_CONTAINERD     containerd's socket (`ctr --address … -n k8s.io images import …`)
//   FLOTILLA_TEST_NODE_DIR            the cluster's directory (logs of every component)
import { join } from 'node:path';
import { buildKubernetes, CONTROL_PLANE_COMMANDS, NODE_COMMANDS } from '../k8s/control-plane.ts';
import { missingNodePackages, NODE_CONTROLLERS, startNode, type KubeNode } from '../k8s/node.ts';
import { pauseImageArchive } from '../k8s/pause-image.ts';
import { startKubeControlPlane } from './kube.ts';
import { findOnPath } from './lib/paths.ts';
import type { AptNeeds, RunningServer, ServerContext, TestServer } from './types.ts';

export const kubeNode: TestServer & AptNeeds = {
  name: 'kube-node',
  // gcc and libc6-dev build the pause binary once; it is cached afterwards.
  missingAptPackages: () => [...missingNodePackages(), ...(findOnPath('gcc') ? [] : ['gcc', 'libc6-dev'])],
  async install(log) {
    await buildKubernetes(log, [...CONTROL_PLANE_COMMANDS, ...NODE_COMMANDS, 'kubectl']);
    await pauseImageArchive(log);
  },
  async start(ctx: ServerContext): Promise<RunningServer> {
    const plane = await startKubeControlPlane({ dir: ctx.dir, log: ctx.log, extraControllers: NODE_CONTROLLERS });
    let node: KubeNode;
    try {
      node = await startNode(plane, { log: ctx.log, dir: join(ctx.dir, 'node') });
    } catch (error) {
      await plane.stop();
      throw error;
    }
    return {
      env: {
        FLOTILLA_TEST_NODE_KUBECONFIG: plane.kubeconfig,
        FLOTILLA_TEST_NODE_NAME: node.name,
        FLOTILLA_TEST_NODE_IP: node.nodeIP,
        FLOTILLA_TEST_NODE_NETNS: node.netns,
        FLOTILLA_TEST_NODE_CONTAINERD: node.containerdSocket,
        FLOTILLA_TEST_NODE_DIR: ctx.dir,
      },
      async stop() {
        try {
          await node.stop();
        } finally {
          await plane.stop();
        }
      },
    };
  },
};
