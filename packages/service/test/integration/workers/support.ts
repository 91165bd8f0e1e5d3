/**
 * What the workers tests share: a group of the crew fixture (or another
 * service) as a real process tree, the worker pids its primary logs, and a
 * bounded load that counts what failed.
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { type ServiceProcess, startServiceProcess, tempDir, type TempDir } from '@flotilla/testing';

export const CREW = join(import.meta.dirname, 'fixtures', 'crew-service.ts');

export interface Group {
  svc: ServiceProcess;
  url: string;
  home: TempDir;
  /** The pid serving each slot now, from the primary's "worker N ready|replaced (pid P)" lines. */
  workers(): Map<number, number>;
  /** SIGKILL to the whole tree, for cleanup after a failed test. */
  destroy(): Promise<void>;
}

/** Starts `entry` with `workers` workers and resolves once its primary logs the group ready. */
export async function startGroup(entry: string, name: string, workers: number, env: Record<string, string> = {}): Promise<Group> {
  const home = tempDir('workers');
  const prefix = `FLOTILLA_${name.toUpperCase()}__`;
  const svc = await startServiceProcess(entry, name, {
    cwd: home.path,
    env: {
      ...process.env,
      FLOTILLA_CONFIG_DIR: '/nonexistent',
      FLOTILLA_HOME: home.path,
      [`${prefix}HTTP__HOST`]: '127.0.0.1',
      [`${prefix}HTTP__PORT`]: '0',
      [`${prefix}WORKERS`]: String(workers),
      ...env,
    },
  });
  const group: Group = {
    svc,
    url: svc.url,
    home,
    workers: () => workerPids(svc.stdout()),
    destroy: async () => {
      for (const pid of workerPids(svc.stdout()).values()) killQuietly(pid);
      await svc.kill9();
      home.remove();
    },
  };
  await svc.printed(new RegExp(`${name} group ready: ${workers} workers`));
  return group;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function workerPids(stdout: string): Map<number, number> {
  const pids = new Map<number, number>();
  for (const match of stdout.matchAll(/worker (\d+) (?:ready|replaced) \(pid (\d+)\)/g)) pids.set(Number(match[1]), Number(match[2]));
  return pids;
}

export interface Answer {
  status: number;
  body: string;
}

/** One GET on a connection of its own, so the primary hands it to the next worker. */
export function freshGet(url: string): Promise<Answer> {
  return get(url, false);
}

function get(url: string, agent: Agent | false, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadOutcome {
  sent: number;
  ok: number;
  /** Requests that errored (reset, refused, timed out) or got an answer other than 200. */
  failed: number;
  failures: string[];
  /** Which pids answered (the route must answer `{ pid }`). */
  pids: Set<number>;
}

export interface LoadOptions {
  /** Requests in flight at once, each on its own keep-alive connection. */
  concurrency: number;
  /** Stop after this many requests… */
  total: number;
  /** …or earlier, once this says so (checked before each request). */
  until?: () => boolean;
  /** Called after each answered or failed request with the count so far. */
  onProgress?: (done: number) => void;
}

/** A closed-loop load of GETs over keep-alive connections, counting every outcome. */
export async function load(url: string, options: LoadOptions): Promise<LoadOutcome> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const outcome: LoadOutcome = { sent: 0, ok: 0, failed: 0, failures: [], pids: new Set() };
  let done = 0;
  const loop = async (): Promise<void> => {
    while (outcome.sent < options.total && options.until?.() !== true) {
      outcome.sent++;
      try {
        const answer = await get(url, agent);
        if (answer.status === 200) {
          outcome.ok++;
          const pid = (JSON.parse(answer.body) as { pid?: number }).pid;
          if (pid !== undefined) outcome.pids.add(pid);
        } else {
          outcome.failed++;
          outcome.failures.push(`${answer.status} ${answer.body}`);
        }
      } catch (error) {
        outcome.failed++;
        outcome.failures.push(String(error));
      }
      options.onProgress?.(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, loop));
  } finally {
    agent.destroy();
  }
  return outcome;
}
