/**
 * A bounded, paced load through the gateway while a drill runs: a few workers take
 * turns at a fixed overall rate, spread over the gateway Pods, and every answer is
 * counted. A failure is a network error or any status other than the expected one;
 * the first few are kept with their reason, for the assertion message.
 */
import { Agent, request } from 'undici';

export interface LoadTarget {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  expect: number;
}

export interface LoadOptions {
  /** base URLs of the gateway Pods (http://podIP:8080), taken in turn */
  gateways: () => string[];
  targets: LoadTarget[];
  /** requests per second over all workers */
  rate: number;
  /** never more than this many requests, whatever happens (the drill stops it sooner) */
  maxRequests: number;
  workers?: number;
}

export interface LoadResult {
  sent: number;
  failed: number;
  failures: string[];
  /** failures / sent */
  failureRatio: number;
}

export interface RunningLoad {
  /** resolves once `count` more requests have been answered */
  answered(count: number): Promise<void>;
  readonly sent: number;
  stop(): Promise<LoadResult>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const dispatcher = new Agent({ connections: 8, keepAliveTimeout: 2_000, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const workers = options.workers ?? 4;
  const interval = (1000 * workers) / options.rate;
  let sent = 0;
  let done = 0;
  let failed = 0;
  const failures: string[] = [];
  let stopped = false;
  const waiters: { at: number; resolve: () => void }[] = [];

  const record = (failure: string | undefined): void => {
    done += 1;
    if (failure !== undefined) {
      failed += 1;
      if (failures.length < 10) failures.push(failure);
    }
    for (const waiter of waiters.filter((w) => done >= w.at)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  const once = async (index: number): Promise<void> => {
    const gateways = options.gateways();
    const base = gateways[index % gateways.length];
    const target = options.targets[index % options.targets.length]!;
    if (base === undefined) return record('no gateway Pod is Ready');
    try {
      const response = await request(`${base}${target.path}`, {
        method: target.method,
        dispatcher,
        headers: target.body === undefined ? {} : { 'content-type': 'application/json' },
        body: target.body === undefined ? undefined : JSON.stringify(target.body),
      });
      const text = await response.body.text();
      record(
        response.statusCode === target.expect
          ? undefined
          : `${target.method} ${base}${target.path}: ${response.statusCode} ${text.slice(0, 200)}`,
      );
    } catch (error) {
      record(`${target.method} ${base}${target.path}: ${(error as Error).message}`);
    }
  };

  const worker = async (offset: number): Promise<void> => {
    let next = Date.now() + (interval * offset) / workers;
    while (!stopped && sent < options.maxRequests) {
      const wait = next - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) break;
      next += interval;
      const index = sent;
      sent += 1;
      await once(index);
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));

  return {
    get sent() {
      return sent;
    },
    answered(count) {
      const at = done + count;
      if (sent + count > options.maxRequests)
        return Promise.reject(new Error(`load: ${count} more answers would exceed maxRequests ${options.maxRequests}`));
      return new Promise((resolve) => waiters.push({ at, resolve }));
    },
    async stop() {
      stopped = true;
      await running;
      await dispatcher.close();
      return { sent: done, failed, failures, failureRatio: done === 0 ? 0 : failed / done };
    },
  };
}
