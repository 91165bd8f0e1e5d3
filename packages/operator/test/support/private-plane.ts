// A private control plane for tests that restart the API server or compact etcd (they
// must not disturb the shared one). Needs the built binaries: skips without them unless
// FLOTILLA_TEST_REQUIRE_SERVICES=1.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { binariesCached, startKubeControlPlane, type ControlPlane } from '../../../../scripts/test-services/kube.ts';
import { required } from './kube.ts';

export type { ControlPlane };
export { freePort } from '../../../../scripts/k8s/process.ts';

export async function privatePlaneOrSkip(t: TestContext): Promise<ControlPlane | undefined> {
  const binDir = process.env.FLOTILLA_TEST_KUBE_BIN_DIR;
  const available = (binDir && existsSync(join(binDir, 'kube-apiserver'))) || (await binariesCached());
  if (!available) {
    if (required) throw new Error('kube-apiserver binaries are missing but FLOTILLA_TEST_REQUIRE_SERVICES=1 (run scripts/k8s/build.sh)');
    t.skip('no kube-apiserver binaries: run scripts/k8s/build.sh');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-private-kube-'));
  const plane = await startKubeControlPlane({ dir, log: () => {} });
  const stop = plane.stop.bind(plane);
  plane.stop = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  return plane;
}
