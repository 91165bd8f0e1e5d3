/**
 * The processes the hostile corpus talks to: users, orders and the gateway,
 * each its own Node process started from its `main.ts` (as `npm start` runs
 * them), on 127.0.0.1, SQLite databases in a temporary folder, and a copy of
 * `config/dev` whose only changes are the gateway's upstream addresses.
 *
 * Secrets are fresh random values (so the corpus can look for them in every
 * answer and log line), load shedding is off (a shed 503 would say something
 * about the busy test machine, not the input), and the request timeouts are
 * short so a slow client is cut within about a second: the gateway's shorter
 * than the services', so the edge gives up first, as it should.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { configDir, freePort, repoRoot, type ServiceProcess, startServiceProcess, tempDir } from '@flotilla/testing';

export const PROCESSES = ['users', 'orders', 'gateway'] as const;
export type ProcessName = (typeof PROCESSES)[number];

const ENTRIES: Record<ProcessName, string> = {
  users: join(repoRoot, 'services', 'users', 'src', 'main.ts'),
  orders: join(repoRoot, 'services', 'orders', 'src', 'main.ts'),
  gateway: join(repoRoot, 'packages', 'gateway', 'src', 'main.ts'),
};

/** The gateway's `http.requestTimeoutMs`; the services get twice as long. */
export const GATEWAY_REQUEST_TIMEOUT_MS = 1000;

export interface HostileSystem {
  /** HTTP port of each process on 127.0.0.1. */
  ports: Record<ProcessName, number>;
  processes: Record<ProcessName, ServiceProcess>;
  /** Values that must never appear in an answer or a log line. */
  secrets: string[];
  stop(): Promise<void>;
}

/** Starts the three processes; everything is stopped and removed by `stop()`, also when the start fails half-way. */
export async function startHostileSystem(): Promise<HostileSystem> {
  const home = tempDir('hostile');
  const cleanups: Array<() => Promise<void>> = [async () => home.remove()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  try {
    const config = join(home.path, 'config');
    cpSync(configDir, config, { recursive: true });
    const secrets = [`hostile-jwt-${randomUUID()}`, `hostile-identity-${randomUUID()}`];
    const usersGrpc = await freePort();
    const env = (service: ProcessName, keys: Record<string, string>): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      ...(process.env.NODE_COMPILE_CACHE === undefined ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE }),
      FLOTILLA_ENV: 'dev',
      FLOTILLA_CONFIG_DIR: config,
      FLOTILLA_HOME: join(home.path, 'home'),
      FLOTILLA_DEV_JWT_SECRET: secrets[0],
      FLOTILLA_IDENTITY_SECRET: secrets[1],
      ...Object.fromEntries(Object.entries(keys).map(([key, value]) => [`FLOTILLA_${service.toUpperCase()}__${key}`, value])),
    });
    const common = { SHEDDING__ENABLED: 'false', HTTP__PORT: '0' };
    const serviceTimeout = { HTTP__REQUEST_TIMEOUT_MS: String(GATEWAY_REQUEST_TIMEOUT_MS * 2) };
    const start = async (service: ProcessName, keys: Record<string, string>): Promise<ServiceProcess> => {
      const started = await startServiceProcess(ENTRIES[service], service, { env: env(service, keys), cwd: repoRoot });
      cleanups.push(async () => void (await started.stop()));
      return started;
    };
    const [users, orders] = await Promise.all([
      start('users', {
        ...common,
        ...serviceTimeout,
        GRPC__PORT: String(usersGrpc),
        DATABASE__DSN: `sqlite:${join(home.path, 'users.sqlite')}`,
      }),
      start('orders', {
        ...common,
        ...serviceTimeout,
        GRPC__PORT: '0',
        DATABASE__DSN: `sqlite:${join(home.path, 'orders.sqlite')}`,
        DEPENDENCIES__USERS__GRPC_ADDRESS: `127.0.0.1:${usersGrpc}`,
      }),
    ]);
    pinUpstreams(config, { users: users.url, orders: orders.url, greeter: users.url });
    const gateway = await start('gateway', { ...common, HTTP__REQUEST_TIMEOUT_MS: String(GATEWAY_REQUEST_TIMEOUT_MS) });
    const processes = { users, orders, gateway };
    const ports = Object.fromEntries(PROCESSES.map((name) => [name, Number(new URL(processes[name].url).port)])) as Record<
      ProcessName,
      number
    >;
    return { ports, processes, secrets, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The gateway's upstreams at fixed addresses instead of discovery (greeter is never called: any address will do). */
function pinUpstreams(config: string, origins: Record<string, string>): void {
  const file = join(config, 'dev', 'gateway.yaml');
  const gateway = parse(readFileSync(file, 'utf8')) as { upstreams: Record<string, Record<string, unknown>> };
  for (const [name, origin] of Object.entries(origins)) gateway.upstreams[name] = { ...gateway.upstreams[name], instances: [origin] };
  writeFileSync(file, stringify(gateway));
}
