/**
 * `/healthz` says the process is alive; `/readyz` runs every dependency check
 * (in parallel, each bounded in time) and answers 503 naming the ones that
 * failed, so a load balancer stops sending traffic before users see errors.
 */
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemType } from './problem.ts';

export type HealthCheck = () => Promise<void>;

export interface HealthOptions {
  /** Named dependency checks, e.g. `{ database: () => db.ping() }`. */
  checks: () => Record<string, HealthCheck>;
  /** False before start-up completes and once shutdown begins. */
  isReady: () => boolean;
  checkTimeoutMs?: number;
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const hidden = { schema: { hide: true } } as const;

  app.get('/healthz', hidden, async () => ({ status: 'ok' }));

  app.get('/readyz', hidden, async (request, reply) => {
    if (!options.isReady()) {
      return reply
        .code(503)
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: problemType('unavailable'),
          title: 'Service unavailable',
          status: 503,
          detail: 'The service is starting or shutting down',
          requestId: request.id,
          checks: {},
        });
    }
    const entries = Object.entries(options.checks());
    const results = await Promise.all(entries.map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
    const checks = Object.fromEntries(results);
    const failing = results.filter(([, result]) => result !== 'ok').map(([name]) => name);
    if (failing.length === 0) return { status: 'ready', checks };
    return reply
      .code(503)
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        type: problemType('unavailable'),
        title: 'Service unavailable',
        status: 503,
        detail: `Failing checks: ${failing.join(', ')}`,
        requestId: request.id,
        checks,
      });
  });
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => 'ok'), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : 'failed';
  } finally {
    clearTimeout(timer);
  }
}
