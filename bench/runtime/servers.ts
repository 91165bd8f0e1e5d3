/**
 * The processes this bench starts, each run by a given node binary from a
 * given checkout: the users service on SQLite, the gateway (governance off,
 * access log off) and the tiny upstream it proxies to.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from '../lib/children.ts';
import { freePort, waitFor200 } from '../lib/net.ts';
import { POLICIES_OFF } from '../gateway/policy-configs.ts';
import type { Checkout } from './node20.ts';

const UPSTREAM_MAIN = fileURLToPath(new URL('../gateway/upstream.mjs', import.meta.url));
/** Fine-grained polling, since spawn → ready is one of the figures. */
const POLL_MS = 5;

export interface Started {
  child: Child;
  url: string;
  /** Spawn → first 200 from /readyz, in ms. */
  readyMs: number;
}

export interface StartOptions {
  name: string;
  cpus: string | undefined;
  /** The bench's temp dir; each start gets its own directory inside it. */
  workDir: string;
}

/** The parent's env without any FLOTILLA_* keys, so only what the bench sets configures the child. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_')));
}

async function ready(child: Child, url: string, spawnedAt: number): Promise<Started> {
  try {
    const readyAt = await waitFor200(`${url}/readyz`, {
      timeoutMs: 60_000,
      intervalMs: POLL_MS,
      hasExited: () => child.hasExited(),
      name: child.name,
    });
    return { child, url, readyMs: readyAt - spawnedAt };
  } catch (error) {
    await child.stop(1_000);
    throw error;
  }
}

/**
 * The users service of `checkout` on a fresh SQLite file, with a fresh
 * FLOTILLA_HOME and that checkout's own config dir, at log level warn (access
 * log off).
 */
export async function startUsers(checkout: Checkout, opts: StartOptions): Promise<Started> {
  const home = mkdtempSync(join(opts.workDir, `${opts.name}-`));
  const [port, grpcPort] = [await freePort(), await freePort()];
  const env = {
    ...cleanEnv(),
    FLOTILLA_CONFIG_DIR: join(checkout.root, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_HOME: home,
    FLOTILLA_USERS__DATABASE__DSN: `sqlite:${join(home, 'users.sqlite')}`,
    FLOTILLA_USERS__HTTP__HOST: '127.0.0.1',
    FLOTILLA_USERS__HTTP__PORT: String(port),
    // config/dev says 9081 for gRPC: a free port instead, so the two sides never collide.
    FLOTILLA_USERS__GRPC__HOST: '127.0.0.1',
    FLOTILLA_USERS__GRPC__PORT: String(grpcPort),
    FLOTILLA_USERS__LOG__LEVEL: 'warn',
  };
  const spawnedAt = performance.now();
  const child = spawnChild({
    name: opts.name,
    command: checkout.node,
    args: [checkout.usersBundle],
    cwd: home,
    env,
    cpus: opts.cpus,
    outputFile: join(home, 'output.log'),
  });
  return ready(child, `http://127.0.0.1:${port}`, spawnedAt);
}

/** The tiny upstream (bench/gateway/upstream.mjs), run by `node`. */
export async function startUpstream(node: string, opts: StartOptions): Promise<Started> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawnChild({
    name: opts.name,
    command: node,
    args: [UPSTREAM_MAIN, String(port)],
    cwd: opts.workDir,
    env: cleanEnv(),
    cpus: opts.cpus,
    outputFile: join(opts.workDir, `${opts.name}.log`),
  });
  return ready(child, `http://127.0.0.1:${port}`, spawnedAt);
}

/**
 * The gateway of `checkout` with the config bench/gateway/servers.ts writes:
 * one route `/api/**` → the upstream with `/api` stripped, access log off,
 * and every policy off (policy-configs.ts POLICIES_OFF), so both sides run
 * the plain proxy hop.
 */
export async function startGateway(checkout: Checkout, upstream: string, opts: StartOptions): Promise<Started> {
  const port = await freePort();
  const configDir = mkdtempSync(join(opts.workDir, `${opts.name}-config-`));
  mkdirSync(join(configDir, 'bench'));
  writeFileSync(
    join(configDir, 'bench', 'gateway.yaml'),
    `http: { host: 127.0.0.1, port: ${port} }
log: { level: info }
proxy: { accessLog: false }
upstreams:
  tiny: { instances: ['${upstream}'] }
routes:
  - { name: api, path: /api/**, upstream: tiny, stripPrefix: /api }
${POLICIES_OFF.extraYaml}`,
  );
  const env = {
    ...cleanEnv(),
    NODE_ENV: 'production',
    FLOTILLA_CONFIG_DIR: configDir,
    FLOTILLA_ENV: 'bench',
    FLOTILLA_CONFIG_RELOAD: 'off',
    FLOTILLA_HOME: configDir,
  };
  const spawnedAt = performance.now();
  const child = spawnChild({
    name: opts.name,
    command: checkout.node,
    args: [checkout.gatewayBundle],
    cwd: configDir,
    env,
    cpus: opts.cpus,
    outputFile: join(configDir, 'output.log'),
  });
  return ready(child, `http://127.0.0.1:${port}`, spawnedAt);
}
