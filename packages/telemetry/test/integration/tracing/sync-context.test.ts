/**
 * keepTracingContextSynchronous() (what the gateway's main does): the
 * OpenTelemetry context is active inside `context.with()` and nowhere else —
 * not after an await, not in a timer — and spans given their parent
 * explicitly still make one trace. A process-wide choice, so this file runs
 * on its own (node --test gives each file its own process).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { createServiceTracing, keepTracingContextSynchronous, type ServiceTracing } from '@flotilla/telemetry';
import { type OtlpReceiver, startOtlpReceiver } from '@flotilla/testing';

let receiver: OtlpReceiver;
let tracing: ServiceTracing;

before(async () => {
  keepTracingContextSynchronous();
  receiver = await startOtlpReceiver();
  tracing = await createServiceTracing(
    {
      enabled: true,
      endpoint: receiver.endpoint,
      sampleRatio: 1,
      headers: {},
      exportTimeoutMs: 5_000,
      batchDelayMs: 20,
    },
    { service: 'sync-context', version: '0', namespace: 'test' },
  );
});

after(async () => {
  await tracing?.shutdown();
  await receiver?.close();
});

test('too late once tracing is installed', () => {
  assert.throws(() => keepTracingContextSynchronous(), /before tracing is installed/);
});

test('the context is active for the synchronous extent of with(), nested, and restored after a throw', () => {
  const outer = tracing.tracer.startSpan('outer', {}, ROOT_CONTEXT);
  const inner = tracing.tracer.startSpan('inner', {}, ROOT_CONTEXT);
  const active = () => trace.getSpan(context.active());
  context.with(trace.setSpan(ROOT_CONTEXT, outer), () => {
    assert.equal(active(), outer);
    context.with(trace.setSpan(ROOT_CONTEXT, inner), () => assert.equal(active(), inner));
    assert.equal(active(), outer);
    assert.throws(() =>
      context.with(trace.setSpan(ROOT_CONTEXT, inner), () => {
        throw new Error('boom');
      }),
    );
    assert.equal(active(), outer, 'restored after the throw');
  });
  assert.equal(active(), undefined);
  const bound = context.bind(trace.setSpan(ROOT_CONTEXT, outer), () => active());
  assert.equal(bound(), outer);
  inner.end();
  outer.end();
});

test('it does not follow awaits or timers', async () => {
  const span = tracing.tracer.startSpan('async', {}, ROOT_CONTEXT);
  const seen = await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
    const before = trace.getSpan(context.active());
    await Promise.resolve();
    const afterAwait = trace.getSpan(context.active());
    const inTimer = await new Promise((resolve) => setTimeout(() => resolve(trace.getSpan(context.active())), 1));
    return { before, afterAwait, inTimer };
  });
  assert.equal(seen.before, span);
  assert.equal(seen.afterAwait, undefined);
  assert.equal(seen.inTimer, undefined);
  span.end();
});

test('spans given their parent explicitly still make one trace', async () => {
  const server = tracing.tracer.startSpan('server', {}, ROOT_CONTEXT);
  const parent = trace.setSpan(ROOT_CONTEXT, server);
  await new Promise((resolve) => setTimeout(resolve, 1));
  const client = tracing.tracer.startSpan('client', {}, parent);
  client.end();
  server.end();
  const spans = await receiver.waitFor((all) => all.some((s) => s.name === 'client') && all.some((s) => s.name === 'server'), 'both spans');
  const exportedClient = spans.find((s) => s.name === 'client');
  const exportedServer = spans.find((s) => s.name === 'server');
  assert.equal(exportedClient?.traceId, exportedServer?.traceId);
  assert.equal(exportedClient?.parentSpanId, exportedServer?.spanId);
});
