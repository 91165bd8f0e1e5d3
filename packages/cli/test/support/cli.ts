/** Running the real `flotilla` command (from source) and real service processes in tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNotFound, KubeClient, loadKubeconfig, Resources } from '@flotilla/kube';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
const cliMain = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', cliMain, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  // 'close', not 'exit': only then has everything the process wrote been read.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export type Backend = 'file' | 'etcd' | 'kubernetes';

/** The backend flags of one test centre: a temp folder, a random etcd prefix, or a new Kubernetes namespace. */
export interface CentreFlags {
  backend: Backend;
  args: string[];
  /** The same centre for a service process. */
  env: Record<string, string>;
  dir: string;
  /** Resolves once the centre exists (the Kubernetes namespace is created): await it in `before`. */
  ready: Promise<void>;
  /** Removes what `ready` created. */
  cleanup(): Promise<void>;
}

export function centreFlags(backend: Backend): CentreFlags {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
  const fileEnv = { FLOTILLA_CONFIG_DIR: join(dir, 'config'), FLOTILLA_HOME: join(dir, 'home') };
  const nothing = { ready: Promise.resolve(), cleanup: async () => undefined };
  if (backend === 'file') {
    return {
      backend,
      dir,
      args: ['--config-dir', fileEnv.FLOTILLA_CONFIG_DIR, '--home', fileEnv.FLOTILLA_HOME],
      env: { ...fileEnv, FLOTILLA_CONFIG_BACKEND: 'file' },
      ...nothing,
    };
  }
  if (backend === 'kubernetes') return kubernetesCentre(dir, fileEnv);
  const endpoints = process.env.FLOTILLA_TEST_ETCD_ENDPOINTS ?? '';
  const prefix = `/flotilla-cli-${randomBytes(5).toString('hex')}/config`;
  return {
    backend,
    dir,
    args: ['--backend', 'etcd', '--etcd', endpoints, '--etcd-prefix', prefix, '--config-dir', fileEnv.FLOTILLA_CONFIG_DIR],
    env: {
      ...fileEnv,
      FLOTILLA_CONFIG_BACKEND: 'etcd',
      FLOTILLA_CONFIG_ETCD_ENDPOINTS: endpoints,
      FLOTILLA_CONFIG_ETCD_PREFIX: prefix,
    },
    ...nothing,
  };
}

/** ConfigMaps in a namespace of the harness's control plane, made for this centre and deleted after. */
function kubernetesCentre(dir: string, fileEnv: { FLOTILLA_CONFIG_DIR: string; FLOTILLA_HOME: string }): CentreFlags {
  const kubeconfig = process.env.FLOTILLA_TEST_KUBECONFIG ?? '';
  const namespace = `flotilla-cli-${randomBytes(4).toString('hex')}`;
  const admin = new KubeClient(loadKubeconfig(kubeconfig));
  const ready = admin
    .create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })
    .then(() => undefined);
  ready.catch(() => undefined); // reported where it is awaited
  return {
    backend: 'kubernetes',
    dir,
    args: [
      '--backend',
      'kubernetes',
      '--kubeconfig',
      kubeconfig,
      '--kube-namespace',
      namespace,
      '--config-dir',
      fileEnv.FLOTILLA_CONFIG_DIR,
    ],
    env: {
      ...fileEnv,
      FLOTILLA_CONFIG_BACKEND: 'kubernetes',
      FLOTILLA_CONFIG_KUBECONFIG: kubeconfig,
      FLOTILLA_CONFIG_KUBE_NAMESPACE: namespace,
    },
    ready,
    cleanup: async () => {
      await admin.delete(Resources.Namespace, undefined, namespace).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      await admin.close();
    },
  };
}

/** file always; etcd and kubernetes with their harness servers (required under npm test, skipped with a note otherwise). */
export function testBackends(): Backend[] {
  const backends: Backend[] = ['file'];
  const required = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';
  if (process.env.FLOTILLA_TEST_ETCD_ENDPOINTS) backends.push('etcd');
  else if (required)
    throw new Error('FLOTILLA_TEST_ETCD_ENDPOINTS is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start etcd (scripts/test-services)');
  else process.stderr.write('[test] flotilla config: skipping the etcd backend (FLOTILLA_TEST_ETCD_ENDPOINTS not set)\n');
  if (process.env.FLOTILLA_TEST_KUBECONFIG) backends.push('kubernetes');
  else if (required)
    throw new Error(
      'FLOTILLA_TEST_KUBECONFIG is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the kube control plane (scripts/test-services)',
    );
  else process.stderr.write('[test] flotilla config: skipping the kubernetes backend (FLOTILLA_TEST_KUBECONFIG not set)\n');
  return backends;
}

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts a service entry point (TypeScript, from source) and waits for its "ready on" line. */
export async function startServiceProcess(entry: string, name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', entry], {
    cwd: repoRoot,
    env: { ...process.env, FLOTILLA_ENV: 'dev', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = new RegExp(`${name} ready on (http://[^"\\s]+)`).exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`${name} exited ${code} before ready:\n${err}\n${out}`)));
  });
  return {
    child,
    url,
    stdout: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
