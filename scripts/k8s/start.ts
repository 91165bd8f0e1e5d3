// Starts a control plane and keeps it running until Ctrl-C / SIGTERM; prints its env.
//   node scripts/k8s/start.ts [DIR]
// Then e.g.: export $(cat DIR/env); kubectl --kubeconfig "$FLOTILLA_TEST_KUBECONFIG" get ns
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneEnv, startKubeControlPlane } from '../test-services/kube.ts';

const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'flotilla-kube-')));
const began = Date.now();
const plane = await startKubeControlPlane({ dir });
const env = controlPlaneEnv(plane);
const text = Object.entries(env)
  .map(([key, value]) => `${key}=${value}`)
  .join('\n');
await writeFile(join(dir, 'env'), `${text}\n`);
process.stdout.write(`${text}\n# started in ${Date.now() - began} ms; env written to ${join(dir, 'env')}\n`);
const stop = () => void plane.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
