// A private control plane for tests that restart the API server or compact etcd (they
// must not disturb the shared one); skips `t` without the built binaries unless
// FLOTILLA_TEST_REQUIRE_SERVICES=1.
import type { TestContext } from 'node:test';
import { privateControlPlane, type ControlPlane } from '../../../../../scripts/test-services/kube.ts';

export type { ControlPlane };

export async function privatePlaneOrSkip(t: TestContext): Promise<ControlPlane | undefined> {
  const plane = await privateControlPlane();
  if ('skip' in plane) {
    t.skip(plane.skip);
    return undefined;
  }
  return plane;
}
