/**
 * The system the fuzzer talks to: users, orders, greeter and the gateway as
 * their own processes (the `main.ts` files `npm start` runs, from source), on
 * 127.0.0.1 and free ports, with a copy of `config/dev` in which only what an
 * operator changes per machine is changed: ports, the gateway's upstream
 * addresses, the databases, and the services' JWT settings mirrored from the
 * gateway's so that one token works both through the gateway and directly.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  configDir,
  createTestDatabase,
  freePort,
  repoRoot,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  tempDir,
} from '@flotilla/testing';

export type DatabaseKind = 'sqlite' | 'postgres';
export const SERVICES = ['users', 'orders', 'greeter', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

const ENTRIES: Record<ServiceName, string> = {
  users: join(repoRoot, 'services', 'users', 'src', 'main.ts'),
  orders: join(repoRoot, 'services', 'orders', 'src', 'main.ts'),
  greeter: join(repoRoot, 'services', 'greeter', 'src', 'main.ts'),
  gateway: join(repoRoot, 'packages', 'gateway', 'src', 'main.ts'),
};

export interface FuzzSystem {
  /** http://127.0.0.1:PORT of each process. */
  urls: Record<ServiceName, string>;
  processes: Record<ServiceName, ServiceProcess>;
  /** The DSNs users and orders run on (read them afterwards to check what the run left). */
  databases: { users: TestDatabase; orders: TestDatabase };
  stop(): Promise<void>;
}

type Yaml = Record<string, unknown>;

function readDevYaml(name: string): Yaml {
  return (parse(readFileSync(join(configDir, 'dev', `${name}.yaml`), 'utf8')) ?? {}) as Yaml;
}

/**
 * Starts the four processes on `database` (users and orders each get a fresh
 * one); every process and database is gone again after `stop()`, also when the
 * start fails half-way.
 */
export async function startFuzzSystem(database: DatabaseKind): Promise<FuzzSystem> {
  const home = tempDir('fuzz-system');
  const cleanups: Array<() => Promise<void>> = [async () => home.remove()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  try {
    const databases = { users: await createTestDatabase(database), orders: await createTestDatabase(database) };
    cleanups.push(databases.users.drop, databases.orders.drop);
    const [usersHttp, usersGrpc, ordersHttp, ordersGrpc, greeterHttp, greeterGrpc, gatewayHttp] = await Promise.all(
      Array.from({ length: 7 }, () => freePort()),
    );
    const origin = (port: number | undefined): string => `http://127.0.0.1:${port}`;
    const config = join(home.path, 'config');
    writeConfig(config, {
      users: origin(usersHttp),
      orders: origin(ordersHttp),
      greeter: origin(greeterHttp),
    });

    const env = (service: ServiceName, keys: Record<string, string>): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      ...(process.env.NODE_COMPILE_CACHE === undefined ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE }),
      FLOTILLA_ENV: 'dev',
      FLOTILLA_CONFIG_DIR: config,
      FLOTILLA_HOME: join(home.path, 'home'),
      ...Object.fromEntries(Object.entries(keys).map(([key, value]) => [`FLOTILLA_${service.toUpperCase()}__${key}`, value])),
    });
    // Load shedding off, as in the other whole-system suites: fresh processes
    // compiling TypeScript on a busy 2-core machine lag at first, and a shed 503
    // says something about the machine, not about the API under test.
    const common = { SHEDDING__ENABLED: 'false' };
    const keys: Record<ServiceName, Record<string, string>> = {
      users: { ...common, HTTP__PORT: `${usersHttp}`, GRPC__PORT: `${usersGrpc}`, DATABASE__DSN: databases.users.dsn },
      orders: {
        ...common,
        HTTP__PORT: `${ordersHttp}`,
        GRPC__PORT: `${ordersGrpc}`,
        DATABASE__DSN: databases.orders.dsn,
        DEPENDENCIES__USERS__GRPC_ADDRESS: `127.0.0.1:${usersGrpc}`,
      },
      greeter: { ...common, HTTP__PORT: `${greeterHttp}`, GRPC__PORT: `${greeterGrpc}` },
      gateway: { ...common, HTTP__PORT: `${gatewayHttp}` },
    };
    const started = await Promise.allSettled(
      SERVICES.map((service) => startServiceProcess(ENTRIES[service], service, { env: env(service, keys[service]), cwd: repoRoot })),
    );
    for (const result of started) if (result.status === 'fulfilled') cleanups.push(async () => void (await result.value.stop()));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const processes = Object.fromEntries(
      SERVICES.map((service, i) => [service, (started[i] as PromiseFulfilledResult<ServiceProcess>).value]),
    ) as Record<ServiceName, ServiceProcess>;
    const urls = Object.fromEntries(SERVICES.map((service) => [service, processes[service].url])) as Record<ServiceName, string>;
    return { urls, processes, databases, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `<dir>/dev/*.yaml`: config/dev with the gateway's upstreams pinned and its JWT settings given to every service. */
function writeConfig(dir: string, upstreams: Record<Exclude<ServiceName, 'gateway'>, string>): void {
  mkdirSync(join(dir, 'dev'), { recursive: true });
  const gateway = readDevYaml('gateway');
  const upstreamConfig = (gateway.upstreams ?? {}) as Record<string, Yaml>;
  for (const [name, url] of Object.entries(upstreams)) upstreamConfig[name] = { ...upstreamConfig[name], instances: [url] };
  gateway.upstreams = upstreamConfig;
  writeFileSync(join(dir, 'dev', 'gateway.yaml'), stringify(gateway));
  writeFileSync(join(dir, 'dev', 'shared.yaml'), stringify(readDevYaml('shared')));
  const jwt = (gateway.auth as { jwt?: Yaml } | undefined)?.jwt;
  for (const service of ['users', 'orders', 'greeter'] as const) {
    const own = readDevYaml(service);
    const auth = (own.auth ?? {}) as Yaml;
    if (jwt !== undefined && auth.jwt === undefined) own.auth = { ...auth, jwt };
    writeFileSync(join(dir, 'dev', `${service}.yaml`), stringify(own));
  }
}
