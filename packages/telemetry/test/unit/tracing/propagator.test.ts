/**
 * The kit's global propagator (installed with tracing) reads and writes W3C
 * Trace Context and Baggage exactly as @opentelemetry/core's
 * CompositePropagator([W3CTraceContextPropagator, W3CBaggagePropagator])
 * does: the same headers in, the same context out, and back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { CompositePropagator, suppressTracing, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { createServiceTracing, type ServiceTracing } from '@flotilla/telemetry';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const core: TextMapPropagator = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});
let tracing: ServiceTracing;

before(async () => {
  // Unused endpoint: nothing here is exported. Starting tracing installs the kit's propagator.
  tracing = await createServiceTracing(
    {
      enabled: true,
      endpoint: 'http://127.0.0.1:9/v1/traces',
      sampleRatio: 1,
      headers: {},
      exportTimeoutMs: 1_000,
      batchDelayMs: 1_000,
    },
    { service: 'propagation-test', version: '0', namespace: 'test' },
  );
});

after(() => tracing.shutdown());

/** What a context holds for propagation: the span context and the baggage. */
function described(context: Context): unknown {
  const span = trace.getSpanContext(context);
  const baggage = propagation.getBaggage(context);
  return {
    span:
      span === undefined
        ? undefined
        : {
            traceId: span.traceId,
            spanId: span.spanId,
            traceFlags: span.traceFlags,
            isRemote: span.isRemote,
            traceState: span.traceState?.serialize(),
          },
    baggage: baggage?.getAllEntries().map(([key, entry]) => [key, entry.value, entry.metadata?.toString()]),
  };
}

const EXTRACT_CASES: Array<[string, Record<string, string | string[]>]> = [
  ['sampled', { traceparent: `00-${TRACE}-${SPAN}-01` }],
  ['not sampled', { traceparent: `00-${TRACE}-${SPAN}-00` }],
  ['all flags', { traceparent: `00-${TRACE}-${SPAN}-ff` }],
  ['with tracestate', { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=opaque,other=1' }],
  ['tracestate in two headers', { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: ['a=1', 'b=2'] }],
  ['two traceparent headers: the first counts', { traceparent: [`00-${TRACE}-${SPAN}-01`, `00-${'1'.repeat(32)}-${'2'.repeat(16)}-00`] }],
  ['a later version may add fields', { traceparent: `cc-${TRACE}-${SPAN}-01-what-ever` }],
  ['version 00 may not', { traceparent: `00-${TRACE}-${SPAN}-01-extra` }],
  ['a later version, garbage after the flags', { traceparent: `cc-${TRACE}-${SPAN}-01x` }],
  ['version ff is invalid', { traceparent: `ff-${TRACE}-${SPAN}-01` }],
  ['upper-case hex is invalid', { traceparent: `00-${TRACE.toUpperCase()}-${SPAN}-01` }],
  ['all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` }],
  ['all-zero span id', { traceparent: `00-${TRACE}-${'0'.repeat(16)}-01` }],
  ['one space around is tolerated', { traceparent: ` 00-${TRACE}-${SPAN}-01 ` }],
  ['two are not', { traceparent: `  00-${TRACE}-${SPAN}-01` }],
  ['too short', { traceparent: `00-${TRACE}-${SPAN}-1` }],
  ['misplaced dashes', { traceparent: `00_${TRACE}-${SPAN}-01` }],
  ['empty', { traceparent: '' }],
  ['baggage alone', { baggage: 'tenant=acme,plan=gold;tier=1' }],
  ['both', { traceparent: `00-${TRACE}-${SPAN}-01`, baggage: 'tenant=acme' }],
  ['nothing', {}],
];

test("extract: the same context as core's W3C propagators, header by header", () => {
  for (const [name, headers] of EXTRACT_CASES) {
    const ours = propagation.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const theirs = core.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    assert.deepEqual(described(ours), described(theirs), name);
  }
});

test("inject: the same headers as core's W3C propagators", () => {
  const kitSpan = tracing.tracer.startSpan('parent', {}, ROOT_CONTEXT);
  const withBaggage = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ tenant: { value: 'acme' } }));
  const cases: Array<[string, Context]> = [
    ['sampled', trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED })],
    [
      'not sampled, with tracestate',
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: TRACE,
        spanId: SPAN,
        traceFlags: TraceFlags.NONE,
        traceState: createTraceState('k=v'),
      }),
    ],
    ['a kit span', trace.setSpan(ROOT_CONTEXT, kitSpan)],
    [
      'an invalid span context',
      trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: SPAN, traceFlags: TraceFlags.SAMPLED }),
    ],
    [
      'upper-case ids (valid for the API)',
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: TRACE.toUpperCase(),
        spanId: SPAN,
        traceFlags: TraceFlags.SAMPLED,
      }),
    ],
    ['baggage', trace.setSpanContext(withBaggage, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED })],
    ['suppressed', suppressTracing(trace.setSpanContext(withBaggage, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED }))],
    ['nothing', ROOT_CONTEXT],
  ];
  for (const [name, context] of cases) {
    const ours: Record<string, string> = {};
    const theirs: Record<string, string> = {};
    propagation.inject(context, ours, defaultTextMapSetter);
    core.inject(context, theirs, defaultTextMapSetter);
    assert.deepEqual(ours, theirs, name);
  }
  kitSpan.end();
});

test('trace flags are always two hex digits (core writes three from 16 up)', () => {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: 0x11 }), carrier, defaultTextMapSetter);
  assert.equal(carrier.traceparent, `00-${TRACE}-${SPAN}-11`);
});

test('fields: the trace context headers, then baggage', () => {
  assert.deepEqual(propagation.fields(), ['traceparent', 'tracestate', 'baggage']);
});
