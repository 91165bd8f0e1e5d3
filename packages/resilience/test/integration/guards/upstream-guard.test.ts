// The guards against a real, misbehaving HTTP upstream on 127.0.0.1, and a
// deadline carried across three real HTTP hops.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { currentContext, DeadlineExceededError, FlotillaError, UnavailableError } from '@flotilla/kit';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import { createLogger, MetricsRegistry } from '@flotilla/telemetry';
import { sleep as abortableSleep, UpstreamGuards, type BreakerStateChange, type ExecutionContext } from '@flotilla/resilience';
import { captureLogs, eventually, parseExposition, sampleValue } from '@flotilla/testing';

type Mode = 'ok' | 'fail' | 'hold';

/** An upstream whose behaviour the test switches: answering, failing with 503, or holding requests until released. */
class ControlledUpstream {
  mode: Mode = 'ok';
  hits = 0;
  readonly held: ServerResponse[] = [];
  readonly server: Server = createServer((request: IncomingMessage, response: ServerResponse) => this.#handle(request, response));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/`;
  }

  releaseAll(): void {
    for (const response of this.held.splice(0)) response.end('released');
  }

  async stop(): Promise<void> {
    this.releaseAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #handle(_request: IncomingMessage, response: ServerResponse): void {
    this.hits++;
    if (this.mode === 'fail') {
      response.writeHead(503).end('down');
    } else if (this.mode === 'hold') {
      this.held.push(response);
    } else {
      response.end('ok');
    }
  }
}

/** One HTTP call as a policy-guarded operation: signal and deadline go with it, 5xx become errors. */
async function call(url: string, { signal, deadline }: ExecutionContext): Promise<string> {
  const response = await fetch(url, { signal, headers: deadline.toHeaders() });
  const body = await response.text();
  if (response.status === 504) throw new DeadlineExceededError(`${url} answered 504`);
  if (response.status >= 500) throw new UnavailableError(`${url} answered ${response.status}`);
  return body;
}

describe('guards against a real failing upstream', () => {
  const upstream = new ControlledUpstream();
  before(() => upstream.start());
  after(() => upstream.stop());

  test('the breaker opens under failure, says why, and closes after recovery', async () => {
    upstream.mode = 'fail';
    const changes: BreakerStateChange[] = [];
    const guards = new UpstreamGuards(
      { upstreams: { flaky: { breaker: { minRequests: 10, windowMs: 1_000 }, retry: { enabled: false } } } },
      { namespace: 'dev' },
    );
    guards.onBreakerStateChange((change) => changes.push(change));

    let sent = 0;
    let rejected = 0;
    const once = async (): Promise<void> => {
      sent++;
      try {
        await guards.execute('flaky', (context) => call(upstream.url, context), { idempotent: true });
      } catch (error) {
        if (error instanceof FlotillaError && error.code === 'circuit-open') rejected++;
      }
    };
    while (guards.get('flaky').breaker.state !== 'open') {
      assert.ok(sent < 200, 'the breaker should open within 200 failing calls');
      await once();
    }
    const opened = changes.find((c) => c.to === 'open');
    assert.match(
      opened?.reason ?? '',
      /^error ratio 1\.00 over 1 s, \d+ requests \(\d+ failed upstream, \d+ rejected here\); rejecting \d+ %/,
    );
    assert.match(guards.snapshot().upstreams.flaky?.breaker?.reason ?? '', /error ratio/);

    // While open, most calls never reach the upstream.
    const hitsBefore = upstream.hits;
    for (let i = 0; i < 50; i++) await once();
    assert.ok(upstream.hits - hitsBefore < 25, `${upstream.hits - hitsBefore} of 50 calls reached the upstream while open`);
    assert.ok(rejected > 25);

    // Recovery: the probes that get through succeed and the failures age out of the window;
    // under steady traffic the share let through about doubles each window (K = 2).
    upstream.mode = 'ok';
    await eventually(
      async () => {
        if (guards.get('flaky').breaker.state === 'closed') return true;
        await once();
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 5, message: 'the breaker to close after recovery' },
    );
    const closed = changes.at(-1);
    assert.equal(closed?.to, 'closed');
    assert.match(closed?.reason ?? '', /requests accepted over 1 s|fewer than the 10 needed/);
  });

  test('with the upstream failing 100 %, retries stay within the budget', async () => {
    upstream.mode = 'fail';
    const metrics = new MetricsRegistry();
    const requests = 100;
    const ratio = 0.2;
    let retriesSeen = 0;
    const guards = new UpstreamGuards(
      {
        upstreams: {
          dead: {
            breaker: { enabled: false },
            retry: { maxAttempts: 3, baseDelayMs: 1, budget: { ratio, minRetriesPerSecond: 0, windowMs: 60_000 } },
          },
        },
      },
      { namespace: 'dev', metrics, onRetry: () => retriesSeen++ },
    );
    const hitsBefore = upstream.hits;
    for (let i = 0; i < requests; i++) {
      await assert.rejects(
        guards.execute('dead', (context) => call(upstream.url, context), { idempotent: true }),
        UnavailableError,
      );
    }
    const retries = upstream.hits - hitsBefore - requests;
    assert.equal(retries, retriesSeen, 'every retry reached the upstream');
    assert.ok(retries > 0, 'some retries were made');
    assert.ok(
      retries <= ratio * requests,
      `${retries} retries for ${requests} requests (budget ${ratio * requests}; without it: ${2 * requests})`,
    );
    const samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_retries_total', { upstream: 'dead', outcome: 'failure' }), retries);
    assert.ok(sampleValue(samples, 'flotilla_retry_budget_exhausted_total', { upstream: 'dead' }) > 0);
  });

  test('the bulkhead rejects calls beyond its capacity and queue', async () => {
    upstream.mode = 'hold';
    const guards = new UpstreamGuards(
      { upstreams: { slow: { bulkhead: { maxConcurrent: 2, maxQueue: 1 }, retry: { enabled: false } } } },
      { namespace: 'dev' },
    );
    const run = (): Promise<string> => guards.execute('slow', (context) => call(upstream.url, context));
    const running = [run(), run()];
    await eventually(() => upstream.held.length === 2, { message: 'two calls to reach the upstream' });
    const queued = run();
    assert.equal(guards.get('slow').bulkhead.status().queued, 1);
    await assert.rejects(run(), (error: unknown) => error instanceof FlotillaError && error.code === 'overloaded');
    assert.equal(upstream.held.length, 2, 'the rejected call never left the process');
    upstream.mode = 'ok';
    upstream.releaseAll();
    assert.deepEqual(await Promise.all([...running, queued]), ['released', 'released', 'ok']);
    assert.equal(guards.snapshot().upstreams.slow?.bulkhead?.rejections, 1);
  });
});

describe('a deadline across three HTTP hops', () => {
  // client → a → b → c; each hop records the x-request-timeout it received, works 5 ms, and calls on.
  const logs = captureLogs();
  const hops: HttpApp[] = [];
  const received: Record<string, number[]> = { a: [], b: [], c: [] };
  let entry = '';

  before(async () => {
    const guards = new UpstreamGuards({}, { namespace: 'dev' });
    let next: string | undefined;
    for (const name of ['c', 'b', 'a']) {
      const app = createHttpServer({ logger: createLogger({ service: `hop-${name}`, destination: logs.stream }) });
      const downstream = next;
      app.get('/', async (request) => {
        received[name]?.push(Number(request.headers['x-request-timeout']));
        const work = Number((request.query as { work?: string }).work ?? 5);
        // Work that stops when the request's deadline passes (the context's signal; the kit's
        // sleep rejects with the signal's reason, a DeadlineExceededError, hence a 504).
        await abortableSleep(
          name === 'c' ? work : 5,
          ...(currentContext()?.signal === undefined ? [] : [currentContext()?.signal as AbortSignal]),
        );
        if (downstream === undefined) return 'done';
        return guards.execute(`hop-${name}-next`, (context) => call(`${downstream}?work=${work}`, context), {
          idempotent: true,
        });
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      next = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`;
      hops.push(app);
    }
    entry = next as string;
  });
  // A client that aborted a request leaves its keep-alive connection looking busy to Node; cut them all.
  after(() =>
    Promise.all(
      hops.map((app) => {
        const closing = app.close();
        app.server.closeAllConnections();
        return closing;
      }),
    ),
  );

  test('each hop receives less time than the one before', async () => {
    const response = await fetch(entry, { headers: { 'x-request-timeout': '3000' } });
    assert.equal(response.status, 200);
    const [a, b, c] = [received.a?.[0], received.b?.[0], received.c?.[0]] as [number, number, number];
    assert.equal(a, 3_000);
    // A 5 ms timer runs on the event loop's cached millisecond clock, so by the deadline's
    // monotonic clock it can measure as little as 4.x ms: the headers must still drop by 4.
    assert.ok(b <= a - 4, `b got ${b} ms after a's ${a} ms and 5 ms of work`);
    assert.ok(c <= b - 4, `c got ${c} ms after b's ${b} ms and 5 ms of work`);
    assert.ok(c > 0);
  });

  test('work past the deadline is abandoned and the client gets 504 deadline-exceeded', async () => {
    const response = await fetch(`${entry}?work=10000`, { headers: { 'x-request-timeout': '300' } });
    assert.equal(response.status, 504);
    const problem = (await response.json()) as { type: string };
    assert.equal(problem.type, 'https://flotilla.dev/problems/deadline-exceeded');
  });

  test('a malformed x-request-timeout is a 400 problem', async () => {
    const response = await fetch(entry, { headers: { 'x-request-timeout': 'soon' } });
    assert.equal(response.status, 400);
    const problem = (await response.json()) as { type: string; detail: string };
    assert.equal(problem.type, 'https://flotilla.dev/problems/bad-request');
    assert.match(problem.detail, /x-request-timeout/);
  });
});
