/**
 * Helpers for suites against a real Kubernetes API server: the harness's
 * shared control plane (FLOTILLA_TEST_KUBECONFIG, from scripts/test-services)
 * or a private one for tests that restart the API server or compact its etcd.
 * Without them a test skips, unless FLOTILLA_TEST_REQUIRE_SERVICES=1 (npm
 * test), where it fails.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { isNotFound, KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import { cachedBinDir } from '../../scripts/k8s/control-plane.ts';
import { binariesCached, startKubeControlPlane, type ControlPlane } from '../../scripts/test-services/kube.ts';

export type { ControlPlane };

export const servicesRequired = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';

/** The shared control plane's kubeconfig, or a reason to skip; throws when services are required. */
export function kubeconfigOrSkipReason(): { kubeconfig: string } | { skip: string } {
  const kubeconfig = process.env.FLOTILLA_TEST_KUBECONFIG;
  if (kubeconfig !== undefined && kubeconfig !== '') return { kubeconfig };
  if (servicesRequired)
    throw new Error('FLOTILLA_TEST_KUBECONFIG is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: the kube test server did not start');
  return { skip: 'no control plane: set FLOTILLA_TEST_KUBECONFIG (scripts/test-services kube)' };
}

/** The shared control plane's kubeconfig; skips `t` (or, when services are required, fails) without one. */
export function kubeconfigOrSkip(t: TestContext): string | undefined {
  const found = kubeconfigOrSkipReason();
  if ('kubeconfig' in found) return found.kubeconfig;
  t.skip(found.skip);
  return undefined;
}

/** Runs the kubectl the harness built beside the control plane (same version), against `kubeconfig`. */
export async function kubectl(kubeconfig: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const command = join(await cachedBinDir(), 'kubectl');
  return await promisify(execFile)(command, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 8 << 20 });
}

/** The object `get` returns, or undefined when the API server says 404. */
export async function getOrUndefined<T extends KubeObject>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
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
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<void> {
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

/**
 * A control plane of the test's own (removed with its folder on stop). Needs
 * the cached binaries: a reason to skip without them, unless services are required.
 */
export async function privateControlPlane(): Promise<ControlPlane | { skip: string }> {
  const binDir = process.env.FLOTILLA_TEST_KUBE_BIN_DIR;
  const available = (binDir !== undefined && existsSync(join(binDir, 'kube-apiserver'))) || (await binariesCached());
  if (!available) {
    if (servicesRequired)
      throw new Error('kube-apiserver binaries are missing but FLOTILLA_TEST_REQUIRE_SERVICES=1 (run scripts/k8s/build.sh)');
    return { skip: 'no kube-apiserver binaries: run scripts/k8s/build.sh' };
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
