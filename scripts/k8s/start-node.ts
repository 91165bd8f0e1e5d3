// Starts a control plane and one node, keeps them until Ctrl-C / SIGTERM, then stops both.
//   node scripts/k8s/start-node.ts [DIR]
// Then e.g.: kubectl --kubeconfig DIR/kubeconfig get nodes -o wide
// DIR (default: a new temp dir) holds the control plane and stays; the node's own
// directory (printed) is removed on stop.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneEnv, startKubeControlPlane } from '../test-services/kube.ts';
import { startNode, type KubeNode } from './node.ts';

const log = (m: string) => process.stderr.write(`[start-node] ${m}\n`);
const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'flotilla-kube-')));
const began = Date.now();
const plane = await startKubeControlPlane({ dir, log });
let node: KubeNode;
try {
  node = await startNode(plane, { log });
} catch (error) {
  await plane.stop();
  throw error;
}
const env = {
  ...controlPlaneEnv(plane),
  FLOTILLA_TEST_KUBE_NODE: node.name,
  FLOTILLA_TEST_KUBE_NODE_IP: node.nodeIP,
  FLOTILLA_TEST_KUBE_NODE_NETNS: node.netns,
  FLOTILLA_TEST_KUBE_NODE_DIR: node.dir,
  FLOTILLA_TEST_KUBE_PAUSE_IMAGE: node.pauseImage,
};
const text = Object.entries(env)
  .map(([key, value]) => `${key}=${value}`)
  .join('\n');
await writeFile(join(dir, 'env'), `${text}\n`);
process.stdout.write(
  `${text}\n# kubeconfig: ${plane.kubeconfig}\n# control plane + node Ready in ${Date.now() - began} ms (node alone ${node.startMs} ms); env written to ${join(dir, 'env')}\n# Ctrl-C stops everything\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  log('stopping node and control plane');
  void node
    .stop()
    .catch((error: Error) => {
      log(error.message);
      process.exitCode = 1;
    })
    .finally(() => plane.stop().then(() => process.exit()));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
