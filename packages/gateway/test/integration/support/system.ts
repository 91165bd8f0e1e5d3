/**
 * A small Flotilla system as real processes — users, orders, the gateway —
 * started from the same main.ts files `npm start` runs (from source, types
 * stripped by Node, so no bundle build is needed), with the repository's `config/dev`
 * files, on free loopback ports. Services are configured the way an operator
 * would: environment overrides for single keys (ports, database files,
 * tracing); the gateway gets a copy of `config/dev/gateway.yaml` whose
 * upstream instances point at the chosen ports. State (SQLite, the local
 * registry, config history) lives in a temporary FLOTILLA_HOME.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { configDir, eventually, freePort, repoRoot } from '@flotilla/testing';

const DEV_CONFIG = join(repoRoot, 'config', 'dev');

const ENTRIES = {
  users: join(repoRoot, 'services', 'users', 'src', 'main.ts'),
  orders: join(repoRoot, 'services', 'orders', 'src', 'main.ts'),
  gateway: join(repoRoot, 'packages', 'gateway', 'src', 'main.ts'),
} as const;

export type SystemService = keyof typeof ENTRIES;

export interface SystemProcess {
  name: SystemService;
  /** http://127.0.0.1:PORT */
  url: string;
  /** host:port of the HTTP listener (a Prometheus target). */
  target: string;
  /** host:port of the gRPC listener (users and orders). */
  grpcTarget?: string;
  /** Every stdout line that parsed as JSON (the ECS log lines), so far. */
  lines(): Array<Record<string, unknown>>;
  output(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process is gone at once, as in a crash. */
  kill(): Promise<void>;
}

export interface RunningSystem {
  users: SystemProcess;
  orders: SystemProcess;
  gateway: SystemProcess;
  stop(): Promise<void>;
}

/** Keys every process gets on top of config/dev, e.g. tracing (`TRACING__ENABLED: 'true'`); prefixed per service. */
export type PerServiceKeys = Record<string, string>;

/**
 * Config keys for every process of a traced system: all spans sampled and
 * exported to `endpoint` quickly. Load shedding is off: fresh processes
 * compiling TypeScript on a busy machine lag their event loop at first, and a
 * shed 503 (or the retry after it, adding spans) is not what these suites test.
 */
export function tracedSystemKeys(endpoint: string): PerServiceKeys {
  return {
    TRACING__ENABLED: 'true',
    TRACING__ENDPOINT: endpoint,
    TRACING__SAMPLE_RATIO: '1',
    TRACING__BATCH_DELAY_MS: '50',
    SHEDDING__ENABLED: 'false',
  };
}

export interface SystemOptions {
  keys?: PerServiceKeys;
  /** Keys for one service only (on top of `keys`), e.g. orders' `RESILIENCE__…`. */
  serviceKeys?: Partial<Record<SystemService, PerServiceKeys>>;
  /** The address orders dials for users' gRPC, given users' own (e.g. a relay in front of it). */
  ordersDialsUsers?: (usersGrpc: string) => string | Promise<string>;
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const home = mkdtempSync(join(tmpdir(), 'flotilla-system-'));
  const [usersHttp, usersGrpc, ordersHttp, ordersGrpc, gatewayHttp] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const origin = (port: number): string => `http://127.0.0.1:${port}`;

  // The gateway's dev file, its upstreams pointed at this system's ports (routes and aggregations as shipped).
  const gatewayConfig = join(home, 'gateway-config');
  mkdirSync(join(gatewayConfig, 'dev'), { recursive: true });
  if (existsSync(join(DEV_CONFIG, 'shared.yaml'))) copyFileSync(join(DEV_CONFIG, 'shared.yaml'), join(gatewayConfig, 'dev', 'shared.yaml'));
  const gatewayYaml = parse(readFileSync(join(DEV_CONFIG, 'gateway.yaml'), 'utf8')) as {
    http: { port: number };
    upstreams: Record<string, { instances?: string[] }>;
  };
  gatewayYaml.http.port = gatewayHttp;
  gatewayYaml.upstreams.users = { ...gatewayYaml.upstreams.users, instances: [origin(usersHttp)] };
  gatewayYaml.upstreams.orders = { ...gatewayYaml.upstreams.orders, instances: [origin(ordersHttp)] };
  writeFileSync(join(gatewayConfig, 'dev', 'gateway.yaml'), stringify(gatewayYaml));

  const keys = (service: SystemService, own: Record<string, string>): Record<string, string> => {
    const prefix = `FLOTILLA_${service.toUpperCase()}__`;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...options.keys, ...options.serviceKeys?.[service], ...own })) env[prefix + key] = value;
    return env;
  };
  const usersGrpcTarget = `127.0.0.1:${usersGrpc}`;
  const ordersUsersAddress = options.ordersDialsUsers === undefined ? usersGrpcTarget : await options.ordersDialsUsers(usersGrpcTarget);
  const started = await Promise.allSettled([
    launch(
      'users',
      usersHttp,
      home,
      configDir,
      keys('users', { HTTP__PORT: String(usersHttp), GRPC__PORT: String(usersGrpc) }),
      usersGrpcTarget,
    ),
    launch(
      'orders',
      ordersHttp,
      home,
      configDir,
      keys('orders', {
        HTTP__PORT: String(ordersHttp),
        GRPC__PORT: String(ordersGrpc),
        DEPENDENCIES__USERS__GRPC_ADDRESS: ordersUsersAddress,
      }),
      `127.0.0.1:${ordersGrpc}`,
    ),
    launch('gateway', gatewayHttp, home, gatewayConfig, keys('gateway', {})),
  ]);
  const processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(home, { recursive: true, force: true });
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await stopAll();
    throw failed.reason;
  }
  const [users, orders, gateway] = processes as [SystemProcess, SystemProcess, SystemProcess];
  return { users, orders, gateway, stop: stopAll };
}

async function launch(
  name: SystemService,
  port: number,
  home: string,
  configDir: string,
  env: Record<string, string>,
  grpcTarget?: string,
): Promise<SystemProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@flotilla/source', ENTRIES[name]], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, FLOTILLA_ENV: 'dev', FLOTILLA_CONFIG_DIR: configDir, FLOTILLA_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const lines: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit').then(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const process_: SystemProcess = {
    name,
    url,
    target: `127.0.0.1:${port}`,
    ...(grpcTarget === undefined ? {} : { grpcTarget }),
    lines: () => lines,
    output: () => output,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };

  // Ready when /readyz answers 200 (bounded; once the process has exited, every check says so).
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    await eventually(
      async () => {
        if (gone) throw new Error(`${name} exited before it was ready`);
        return (await fetch(`${url}/readyz`)).status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: `${name} to be ready` },
    );
  } catch (error) {
    await end('SIGKILL');
    throw new Error(`${(error as Error).message}:\n${output}`);
  }
  return process_;
}
