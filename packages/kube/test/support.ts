// Helpers for tests against a real API server. The control plane comes from the test
// harness (FLOTILLA_TEST_KUBECONFIG). Without it a test skips, unless
// FLOTILLA_TEST_REQUIRE_SERVICES=1 (npm test), where it fails.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { isNotFound, KubeClient, loadKubeconfig, Resources } from '@flotilla/kube';

const required = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';

/** The harness kubeconfig; skips (or, when services are required, fails) without one. */
export function kubeconfigOrSkip(t: TestContext): string | undefined {
  const path = process.env.FLOTILLA_TEST_KUBECONFIG;
  if (path) return path;
  if (required) throw new Error('FLOTILLA_TEST_KUBECONFIG is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: the kube test server did not start');
  t.skip('no control plane: set FLOTILLA_TEST_KUBECONFIG (scripts/test-services kube)');
  return undefined;
}

export function clientFor(kubeconfig: string): KubeClient {
  return new KubeClient(loadKubeconfig(kubeconfig));
}

export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(Resources.Namespace, undefined, name).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
