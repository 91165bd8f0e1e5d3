/** The kit's HTTP server sheds over real sockets: an in-flight limit, exempt routes, priorities and live settings. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Value from 'typebox/value';
import { captureLogs, eventually } from '@flotilla/testing';
import { registerHealthRoutes } from '../../src/health.ts';
import { loadShedderOf } from '../../src/load-shedding.ts';
import { createHttpServer } from '../../src/server.ts';
import { createLogger } from '@flotilla/telemetry';
import { SheddingConfig, type SheddingSettings } from '@flotilla/resilience';

function settings(overrides: Partial<SheddingSettings> = {}): SheddingSettings {
  return { ...(Value.Default(SheddingConfig, {}) as SheddingSettings), ...overrides };
}

describe('the kit HTTP server sheds over real sockets', () => {
  test('past maxInFlight: 503 problem with Retry-After; health, opted-out routes and high priority still served; live settings', async (t) => {
    const logs = captureLogs();
    let listener: ((value: unknown) => void) | undefined;
    const app = createHttpServer({
      logger: createLogger({ service: 'test', destination: logs.stream }),
      shedding: {
        settings: settings({ maxInFlight: 1, retryAfterSeconds: 3 }),
        subscribe: (l) => {
          listener = l;
          return () => {
            listener = undefined;
          };
        },
      },
    });
    registerHealthRoutes(app as never, { isReady: () => true, checks: () => ({}) });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.get('/hold', async () => {
      await held;
      return { held: true };
    });
    app.get('/work', async () => ({ ok: true }));
    app.get('/always', { config: { shed: false } }, async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    t.after(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const shedder = loadShedderOf(app);
    assert.ok(shedder, 'the server exposes its shedder for raw request paths');

    const holding = fetch(`${base}/hold`);
    await eventually(() => shedder.inFlight === 1, { message: 'the held request in flight' });

    const refused = await fetch(`${base}/work`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '3');
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await refused.json()) as Record<string, unknown>;
    assert.equal(problem.type, 'https://flotilla.dev/problems/overloaded');
    assert.equal(problem.reason, 'in-flight');
    assert.equal(problem.retryAfter, 3);
    assert.ok(typeof problem.requestId === 'string');

    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/always`)).status, 200);
    assert.equal((await fetch(`${base}/work`, { headers: { 'x-flotilla-priority': 'high' } })).status, 200);

    assert.ok(listener, 'the server subscribed to live settings');
    listener(settings({ maxInFlight: 0 }));
    assert.equal((await fetch(`${base}/work`)).status, 200, 'no in-flight limit any more');
    listener(settings({ maxInFlight: 1 }));
    assert.equal((await fetch(`${base}/work`)).status, 503);

    release();
    assert.equal((await holding).status, 200);
    await eventually(() => shedder.inFlight === 0, { message: 'the held request to finish' });
    assert.equal((await fetch(`${base}/work`)).status, 200);
  });
});
