/**
 * The discovery end-to-end setup: real `echo` service processes
 * (fixtures/echo-service.ts, registering themselves like any kit service) and
 * the gateway in-process, all pointed at the same registry through their
 * `FLOTILLA_<SERVICE>__DISCOVERY__*` environment.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CapturedLogs, captureLogs, type ServiceProcess, startServiceProcess } from '@flotilla/testing';
import { gatewayService } from '../../../src/service.ts';

const ECHO = join(import.meta.dirname, '..', 'fixtures', 'echo-service.ts');
export const NAMESPACE = 'e2e';

/** Where everything of one test lives, and which registry it uses. */
export interface DiscoveryWorld {
  dir: string;
  configDir: string;
  home: string;
  /** `FLOTILLA_<SERVICE>__DISCOVERY__*` settings shared by every process (backend, etcd endpoints, prefix, TTL). */
  discovery: Record<string, string>;
  remove(): void;
}

export function discoveryWorld(discovery: Record<string, string>): DiscoveryWorld {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-discovery-e2e-'));
  const configDir = join(dir, 'config');
  mkdirSync(join(configDir, NAMESPACE), { recursive: true });
  return {
    dir,
    configDir,
    home: join(dir, 'home'),
    discovery,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `{ BACKEND: 'etcd' }` → `{ FLOTILLA_ECHO__DISCOVERY__BACKEND: 'etcd' }`. */
function discoveryEnv(service: string, discovery: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(discovery).map(([key, value]) => [`FLOTILLA_${service.toUpperCase()}__DISCOVERY__${key}`, value]),
  );
}

/** Starts an echo process answering `{ name }` at GET /who, and waits until it is ready. */
export function startEcho(world: DiscoveryWorld, name: string): Promise<ServiceProcess> {
  return startServiceProcess(ECHO, 'echo', {
    env: {
      PATH: process.env.PATH,
      ECHO_NAME: name,
      FLOTILLA_ENV: NAMESPACE,
      FLOTILLA_CONFIG_DIR: world.configDir,
      FLOTILLA_HOME: world.home,
      FLOTILLA_ECHO__HTTP__HOST: '127.0.0.1',
      FLOTILLA_ECHO__HTTP__PORT: '0',
      // These tests count failed requests to judge discovery; a loaded 2-core test machine must not make them shed load.
      FLOTILLA_ECHO__SHEDDING__ENABLED: 'false',
      ...discoveryEnv('echo', world.discovery),
    },
  });
}

export interface DiscoveringGateway {
  url: string;
  logs: CapturedLogs;
  /** GET /api/echo/who through the gateway: the status and which echo answered. */
  who(): Promise<{ status: number; name: string | undefined; problem?: string }>;
  stop(): Promise<void>;
}

/** Routes /api/echo/** to the discovered `echo` service; ejection after one failure so a dead instance leaves fast. */
export const ECHO_ROUTES = `upstreams:
  echo: {}
routes:
  - { name: echo, path: /api/echo/**, upstream: echo, stripPrefix: /api/echo }
`;

export async function startDiscoveringGateway(world: DiscoveryWorld, yaml = ECHO_ROUTES): Promise<DiscoveringGateway> {
  writeFileSync(
    join(world.configDir, NAMESPACE, 'gateway.yaml'),
    `http: { host: 127.0.0.1, port: 0 }\nproxy: { accessLog: false }\nbalancing: { ejection: { consecutiveFailures: 1 } }\n${yaml}`,
  );
  const logs = captureLogs();
  const running = await gatewayService.start({
    configDir: world.configDir,
    namespace: NAMESPACE,
    logDestination: logs.stream,
    env: {
      FLOTILLA_HOME: world.home,
      FLOTILLA_GATEWAY__SHEDDING__ENABLED: 'false',
      ...discoveryEnv('gateway', world.discovery),
    },
  });
  const url = running.httpUrl as string;
  return {
    url,
    logs,
    who: async () => {
      const response = await fetch(`${url}/api/echo/who`);
      const body = (await response.json().catch(() => undefined)) as { name?: string; type?: string; detail?: string } | undefined;
      if (response.status === 200) return { status: 200, name: body?.name };
      return { status: response.status, name: undefined, problem: `${body?.type ?? ''} ${body?.detail ?? ''}` };
    },
    stop: () => running.stop('test finished'),
  };
}

/** Sends requests through the gateway back to back until stopped; counts who answered and every failure. */
export function trafficThrough(gateway: DiscoveringGateway): {
  readonly answers: Map<string, number>;
  readonly failures: string[];
  readonly total: number;
  stop(): Promise<void>;
} {
  const answers = new Map<string, number>();
  const failures: string[] = [];
  let total = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { status, name, problem } = await gateway.who();
        total++;
        if (status === 200 && name !== undefined) answers.set(name, (answers.get(name) ?? 0) + 1);
        else failures.push(`HTTP ${status} ${problem ?? ''}`);
      } catch (error) {
        total++;
        failures.push(String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 2)); // steady, bounded load
    }
  })();
  return {
    answers,
    failures,
    get total() {
      return total;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
