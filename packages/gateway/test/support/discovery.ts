/**
 * The discovery end-to-end setup: real `echo` service processes
 * (fixtures/echo-service.ts, registering themselves like any kit service) and
 * the gateway in-process, all pointed at the same registry through their
 * `FLOTILLA_<SERVICE>__DISCOVERY__*` environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayService } from '../../src/service.ts';
import { captureLogs, type CapturedLogs } from '../../../kit/test/support/log-capture.ts';

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

export interface EchoProcess {
  name: string;
  url: string;
  process: ChildProcess;
  output(): string;
  /** Waits for `pattern` in the process's output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM: a graceful stop; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Starts an echo process answering `{ name }` at GET /who, and waits until it is ready. */
export async function startEcho(world: DiscoveryWorld, name: string): Promise<EchoProcess> {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', ECHO], {
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  // 'close', not 'exit': once a stopped process is reported gone, everything it printed has been read.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code ?? -1));
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (exitCode !== undefined) throw new Error(`echo ${name} exited (${exitCode}) before printing ${pattern}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`echo ${name} did not print ${pattern} within ${timeoutMs} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await waitFor(/echo ready on http:\/\//);
  const url = /echo ready on (http:\/\/[^"\s]+)/.exec(output)![1]!;
  return {
    name,
    url,
    process: child,
    output: () => output,
    waitFor,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
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
