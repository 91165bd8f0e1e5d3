/**
 * The two servers under test, each in its own child process: the users
 * service (compiled dist/main.js) and the bare Fastify peer (peer.mjs).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from '../lib/children.ts';
import { freePort, waitFor200 } from '../lib/net.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The bundle npm start runs (scripts/bundle.mjs), so cold start is measured as users see it.
export const USERS_MAIN = join(REPO_ROOT, 'services/users/dist/bundle.mjs');
const PEER_MAIN = fileURLToPath(new URL('./peer.mjs', import.meta.url));

export interface RunningServer {
  child: Child;
  url: string;
  /** performance.now() just before spawn and when /readyz first answered 200. */
  spawnedAt: number;
  readyAt: number;
}

export interface UsersOptions {
  name: string;
  /** sqlite:/path/file.sqlite or postgres://… */
  dsn: string;
  logLevel: 'warn' | 'info';
  /** stdout+stderr of the service (its logs) go here. */
  outputFile: string;
  workDir: string;
  cpus: string | undefined;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** The entry file to run; default USERS_MAIN (the bundle). The unbundled dist/main.js keeps package names in CPU profiles. */
  main?: string;
  pollIntervalMs?: number;
}

/** The parent's env without any FLOTILLA_* keys, so only what the bench sets configures the child. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_')));
}

async function started(child: Child, url: string, spawnedAt: number, pollIntervalMs: number): Promise<RunningServer> {
  try {
    const readyAt = await waitFor200(`${url}/readyz`, {
      timeoutMs: 30_000,
      intervalMs: pollIntervalMs,
      hasExited: () => child.hasExited(),
      name: child.name,
    });
    return { child, url, spawnedAt, readyAt };
  } catch (error) {
    await child.stop(1_000);
    throw error;
  }
}

export async function startUsers(opts: UsersOptions): Promise<RunningServer> {
  const port = await freePort();
  const grpcPort = await freePort();
  const env = {
    ...cleanEnv(),
    FLOTILLA_CONFIG_DIR: join(REPO_ROOT, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_HOME: opts.workDir,
    FLOTILLA_USERS__DATABASE__DSN: opts.dsn,
    FLOTILLA_USERS__HTTP__HOST: '127.0.0.1',
    FLOTILLA_USERS__HTTP__PORT: String(port),
    // The service also serves gRPC (config/dev says 9081): a free port, so runs never collide.
    FLOTILLA_USERS__GRPC__HOST: '127.0.0.1',
    FLOTILLA_USERS__GRPC__PORT: String(grpcPort),
    FLOTILLA_USERS__LOG__LEVEL: opts.logLevel,
  };
  const spawnedAt = performance.now();
  const child = spawnChild({
    name: opts.name,
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), opts.main ?? USERS_MAIN],
    cwd: opts.workDir,
    env,
    cpus: opts.cpus,
    outputFile: opts.outputFile,
  });
  return started(child, `http://127.0.0.1:${port}`, spawnedAt, opts.pollIntervalMs ?? 5);
}

export async function startPeer(opts: {
  name: string;
  workDir: string;
  cpus: string | undefined;
  outputFile: string;
  pollIntervalMs?: number;
}): Promise<RunningServer> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawnChild({
    name: opts.name,
    command: process.execPath,
    args: [PEER_MAIN, String(port)],
    cwd: REPO_ROOT, // peer.mjs resolves `fastify` from the repository's node_modules
    env: cleanEnv(),
    cpus: opts.cpus,
    outputFile: opts.outputFile,
  });
  return started(child, `http://127.0.0.1:${port}`, spawnedAt, opts.pollIntervalMs ?? 5);
}

/** Creates `count` users through POST /users (8 in flight) and returns their ids. */
export async function seedUsers(url: string, count: number): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const tag = String(n).padStart(6, '0'); // same lengths as the peer's template user
      const response = await fetch(`${url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench User ${tag}`, email: `bench-${tag}@example.com` }),
      });
      const body = (await response.json()) as { id?: string };
      if (response.status !== 201 || typeof body.id !== 'string')
        throw new Error(`seeding: POST /users answered ${response.status}: ${JSON.stringify(body)}`);
      ids[n] = body.id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}
