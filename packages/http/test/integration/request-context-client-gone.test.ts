/**
 * The request context's signal in the kit's HTTP server fires when the
 * caller leaves before the answer — with or without a deadline — so work
 * below it (outbound calls, queries) stops instead of finishing for nobody;
 * an answered request's signal never fires.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { currentContext, FlotillaError } from '@flotilla/kit';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

describe('the request context when the client goes away', () => {
  let app: HttpApp;
  let port = 0;
  /** The signal of the request `/wait` is serving, once it has one. */
  let waiting: ((signal: AbortSignal) => void) | undefined;
  let lastSignal: AbortSignal | undefined;

  before(async () => {
    app = createHttpServer({ logger: createLogger({ service: 'svc', destination: captureLogs().stream }) });
    app.post('/wait', async () => {
      const signal = currentContext()?.signal;
      assert.ok(signal, 'a request context signal');
      waiting?.(signal);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return { stopped: true };
    });
    app.get('/quick', async () => {
      lastSignal = currentContext()?.signal;
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(() => app.close());

  /** POSTs a whole body to /wait, leaves once the handler runs, and resolves with the signal it had. */
  const leaveWhileServed = async (headers: Record<string, string>): Promise<AbortSignal> => {
    const served = new Promise<AbortSignal>((resolve) => (waiting = resolve));
    const sent = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/wait',
      headers: { 'content-type': 'application/json', ...headers },
    });
    sent.on('error', () => undefined);
    sent.end('{}');
    const signal = await served;
    sent.destroy();
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return signal;
  };

  for (const [label, headers] of [
    ['with a deadline', { 'x-request-timeout': '60000' }],
    ['without one', {}],
  ] as const) {
    test(`${label}: the signal fires with "the client went away"`, async () => {
      const signal = await leaveWhileServed(headers);
      assert.ok(signal.reason instanceof FlotillaError);
      assert.equal(signal.reason.code, 'unavailable');
      assert.match(signal.reason.message, /client went away/);
    });
  }

  test('an answered request: the signal stays quiet', async () => {
    const answer = await fetch(`http://127.0.0.1:${port}/quick`, { headers: { 'x-request-timeout': '60000' } });
    assert.equal(answer.status, 200);
    await answer.text();
    // The response's close follows its finish; give the event a turn to run if it wrongly aborted.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lastSignal?.aborted, false);
  });
});
