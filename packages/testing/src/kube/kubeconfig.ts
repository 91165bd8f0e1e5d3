import type { TestContext } from 'node:test';
import { missingServer } from '../servers/required.ts';

/** The kubeconfig of the harness's shared control plane (FLOTILLA_TEST_KUBECONFIG), if it started one. */
export function testKubeconfig(): string | undefined {
  const path = process.env.FLOTILLA_TEST_KUBECONFIG;
  return path === undefined || path === '' ? undefined : path;
}

/** The shared control plane's kubeconfig, or a reason to skip; throws when servers are required. */
export function kubeconfigOrSkipReason(): { kubeconfig: string } | { skip: string } {
  const kubeconfig = testKubeconfig();
  return kubeconfig === undefined ? missingServer('FLOTILLA_TEST_KUBECONFIG') : { kubeconfig };
}

/** The shared control plane's kubeconfig; skips `t` without one (or fails, when servers are required). */
export function kubeconfigOrSkip(t: TestContext): string | undefined {
  const found = kubeconfigOrSkipReason();
  if ('kubeconfig' in found) return found.kubeconfig;
  t.skip(found.skip);
  return undefined;
}
