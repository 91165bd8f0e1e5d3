// Shared helpers for tests against a real API server. The control plane comes from the
// test harness (FLOTILLA_TEST_KUBECONFIG). Without it a test skips, unless
// FLOTILLA_TEST_REQUIRE_SERVICES=1 (CI), where it fails.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { pino, type Logger } from 'pino';
import { isAlreadyExists, isNotFound, KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import { microserviceCrd } from '../../src/microservice/crd.ts';

export const required = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';

/** The harness kubeconfig; skips (or, when services are required, fails) without one. */
export function kubeconfigOrSkip(t: TestContext): string | undefined {
  const path = process.env.FLOTILLA_TEST_KUBECONFIG;
  if (path) return path;
  if (required) throw new Error('FLOTILLA_TEST_KUBECONFIG is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: the kube test server did not start');
  t.skip('no control plane: set FLOTILLA_TEST_KUBECONFIG (scripts/test-services kube)');
  return undefined;
}

export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

export function clientFor(kubeconfig: string): KubeClient {
  return new KubeClient(loadKubeconfig(kubeconfig));
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(Resources.Namespace, undefined, name).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

/** Installs (or updates) the Microservice CRD and waits until it is Established. */
export async function installCrd(client: KubeClient): Promise<void> {
  const crd = microserviceCrd() as unknown as KubeObject;
  await client.apply(Resources.CustomResourceDefinition, crd);
  await waitUntil('the Microservice CRD to be established', async () => {
    const live = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
      Resources.CustomResourceDefinition, undefined, crd.metadata.name!);
    return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
}

export async function getOrUndefined<T extends KubeObject>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
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

export { isAlreadyExists };
