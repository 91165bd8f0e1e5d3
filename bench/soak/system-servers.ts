/**
 * The whole system as `npm start` runs it (the bundles, the dev namespace: the
 * gateway's governance on, discovery through the local registry), but with
 * users and orders on PostgreSQL and every port free: users, orders, greeter,
 * then the gateway, each its own child process logging to a file.
 */
import { join } from 'node:path';
import { spawnChild, type Child } from '../lib/children.ts';
import { freePort, waitFor200 } from '../lib/net.ts';
import { cleanEnv, REPO_ROOT } from '../users/servers.ts';

export const SYSTEM_PROCESSES = ['gateway', 'users', 'orders', 'greeter'] as const;
export type SystemProcess = (typeof SYSTEM_PROCESSES)[number];

export interface RunningProcess {
  child: Child;
  url: string;
}

export type RunningSystem = Record<SystemProcess, RunningProcess>;

export interface SystemOptions {
  dsn: { users: string; orders: string };
  workDir: string;
  cpus: string | undefined;
  /** Flags for every Node process, e.g. the images' --max-semi-space-size=8. */
  nodeArgs: string[];
}

const BUNDLES: Record<SystemProcess, string> = {
  gateway: 'packages/gateway/dist/bundle.mjs',
  users: 'services/users/dist/bundle.mjs',
  orders: 'services/orders/dist/bundle.mjs',
  greeter: 'services/greeter/dist/bundle.mjs',
};

async function start(name: SystemProcess, env: Record<string, string>, opts: SystemOptions): Promise<RunningProcess> {
  const port = await freePort();
  const prefix = `FLOTILLA_${name.toUpperCase()}__`;
  const ports: Record<string, string> = { [`${prefix}HTTP__HOST`]: '127.0.0.1', [`${prefix}HTTP__PORT`]: String(port) };
  if (name !== 'gateway') {
    ports[`${prefix}GRPC__HOST`] = '127.0.0.1';
    ports[`${prefix}GRPC__PORT`] = String(await freePort());
  }
  const child = spawnChild({
    name,
    command: process.execPath,
    args: [...opts.nodeArgs, join(REPO_ROOT, BUNDLES[name])],
    cwd: opts.workDir,
    env: {
      ...cleanEnv(),
      FLOTILLA_CONFIG_DIR: join(REPO_ROOT, 'config'),
      FLOTILLA_ENV: 'dev',
      // One FLOTILLA_HOME for all: the local registry under it is how they find each other.
      FLOTILLA_HOME: opts.workDir,
      [`${prefix}LOG__LEVEL`]: 'info',
      ...ports,
      ...env,
    },
    cpus: opts.cpus,
    outputFile: join(opts.workDir, `${name}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/readyz`, { timeoutMs: 60_000, intervalMs: 20, hasExited: () => child.hasExited(), name });
  return { child, url };
}

export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const users = await start('users', { FLOTILLA_USERS__DATABASE__DSN: opts.dsn.users }, opts);
  const [orders, greeter] = await Promise.all([
    start('orders', { FLOTILLA_ORDERS__DATABASE__DSN: opts.dsn.orders }, opts),
    start('greeter', {}, opts),
  ]);
  // The dev rate limit (1000 per 10 s per client IP) would refuse a soak that comes from one address.
  const gateway = await start('gateway', { FLOTILLA_GATEWAY__RATE_LIMIT__POLICIES__API__LIMIT: '100000000' }, opts);
  return { gateway, users, orders, greeter };
}
