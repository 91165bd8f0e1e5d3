/**
 * The four ways of running the users service (SQLite) that the bench
 * compares, each started from source with a fresh state folder and seeded:
 *
 * - `1 process`: `workers: 1`, as in dev;
 * - `cluster rr`: `workers: 2`, the kit's group (Node's cluster: the primary
 *   accepts and hands connections to the workers in turn);
 * - `cluster shared`: the same with NODE_CLUSTER_SCHED_POLICY=none (the
 *   workers accept on the primary's socket themselves; the kernel wakes one);
 * - `reusePort`: two independent `workers: 1` processes bound to the same
 *   ports with SO_REUSEPORT (`reuse-port.mjs`); the kernel spreads connections.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, spawnChild } from '../lib/children.ts';
import { freePort, httpRequest } from '../lib/net.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const USERS_MAIN = join(REPO_ROOT, 'services/users/src/main.ts');
const REUSE_PORT = fileURLToPath(new URL('./reuse-port.mjs', import.meta.url));

export const SIDES = ['1 process', 'cluster rr', 'cluster shared', 'reusePort'] as const;
export type SideName = (typeof SIDES)[number];

export interface Side {
  name: SideName;
  url: string;
  /** The processes whose CPU counts (a primary's workers are found under it). */
  roots: number[];
  children: Child[];
  ids: string[];
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_') && key !== 'NODE_OPTIONS'));
}

export async function startSide(name: SideName, workDir: string, users: number): Promise<Side> {
  const home = mkdtempSync(join(workDir, `${name.replace(/\s+/g, '-')}-`));
  const [port, grpcPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    FLOTILLA_CONFIG_DIR: join(REPO_ROOT, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_HOME: home,
    FLOTILLA_CONFIG_RELOAD: 'off',
    FLOTILLA_USERS__DATABASE__DSN: `sqlite:${join(home, 'users.sqlite')}`,
    FLOTILLA_USERS__HTTP__HOST: '127.0.0.1',
    FLOTILLA_USERS__HTTP__PORT: String(port),
    FLOTILLA_USERS__GRPC__HOST: '127.0.0.1',
    FLOTILLA_USERS__GRPC__PORT: String(grpcPort),
    FLOTILLA_USERS__LOG__LEVEL: 'warn',
    FLOTILLA_USERS__WORKERS: name === '1 process' || name === 'reusePort' ? '1' : '2',
    ...(name === 'cluster shared' ? { NODE_CLUSTER_SCHED_POLICY: 'none' } : {}),
    ...(name === 'reusePort' ? { NODE_OPTIONS: `--import=${REUSE_PORT}` } : {}),
  };
  const spawn = (index: number): Child =>
    spawnChild({
      name: `${name} ${index}`,
      command: process.execPath,
      args: ['--conditions=@flotilla/source', USERS_MAIN],
      cwd: home,
      env,
      outputFile: join(home, `output-${index}.log`),
    });
  const children = [spawn(1)];
  const url = `http://127.0.0.1:${port}`;
  // The second reusePort process starts once the first has migrated the shared SQLite file.
  await waitForRegistered(home, 1, children);
  if (name === 'reusePort') {
    children.push(spawn(2));
    await waitForRegistered(home, 2, children);
  }
  const ids = await seed(url, users);
  return { name, url, roots: children.map((c) => c.pid), children, ids };
}

/**
 * Waits until `count` instances are registered in the local registry: a
 * group registers once all its workers are ready, a single process once it is.
 */
async function waitForRegistered(home: string, count: number, children: Child[]): Promise<void> {
  const folder = join(home, 'registry', 'dev', 'users');
  const deadline = performance.now() + 120_000;
  while (entries(folder) < count) {
    if (performance.now() > deadline || children.some((c) => c.hasExited())) throw new Error(`${children[0]?.name}: not registered`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function entries(folder: string): number {
  try {
    return readdirSync(folder).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

async function seed(url: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await httpRequest(`${url}/users`, {
      method: 'POST',
      body: JSON.stringify({ name: `Bench User ${i}`, email: `bench-${process.pid}-${i}@example.com` }),
    });
    if (answer.status !== 201) throw new Error(`seeding: ${answer.status} ${answer.body}`);
    ids.push((JSON.parse(answer.body) as { id: string }).id);
  }
  return ids;
}
