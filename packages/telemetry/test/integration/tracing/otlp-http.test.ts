/**
 * The kit's tracer provider through its public face (`createServiceTracing`
 * and the OpenTelemetry API) against a loopback OTLP/HTTP receiver that keeps
 * every request body and decodes all of it here with @bufbuild/protobuf's
 * wire reader: every span field and attribute type, times to the
 * nanosecond, events and links, limits, status rules, parent-based sampling,
 * suppression, export retries, and repeated attributes whose values change.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  context,
  createTraceState,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { createServiceTracing, type ServiceTracing } from '@flotilla/telemetry';
import { fields, hex } from '@flotilla/telemetry';
import { eventually } from '@flotilla/testing';

type Value = string | number | boolean | bigint | Value[] | null;

interface Decoded {
  resource: Record<string, Value>;
  scope: string;
  scopeVersion: string;
  traceId: string;
  spanId: string;
  traceState: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, Value>;
  droppedAttributes: number;
  events: Array<{ timeNs: bigint; name: string; attributes: Record<string, Value> }>;
  links: Array<{
    traceId: string;
    spanId: string;
    traceState: string;
    attributes: Record<string, Value>;
    flags: number;
  }>;
  statusCode: number;
  statusMessage: string;
  flags: number;
}

function anyValue(bytes: Uint8Array): Value {
  let value: Value = null;
  fields(bytes, (field, r) => {
    if (field === 1) value = r.string();
    else if (field === 2) value = r.bool();
    else if (field === 3) value = BigInt(r.int64());
    else if (field === 4) value = r.double();
    else if (field === 5) {
      const items: Value[] = [];
      fields(r.bytes(), (f, a) => {
        if (f !== 1) return false;
        items.push(anyValue(a.bytes()));
        return true;
      });
      value = items;
    } else return false;
    return true;
  });
  return value;
}

function keyValueInto(target: Record<string, Value>, bytes: Uint8Array): void {
  let key = '';
  let value: Value = null;
  fields(bytes, (field, r) => {
    if (field === 1) key = r.string();
    else if (field === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  target[key] = value;
}

function decodeSpan(bytes: Uint8Array, resource: Record<string, Value>, scope: string, scopeVersion: string): Decoded {
  const span: Decoded = {
    resource,
    scope,
    scopeVersion,
    traceId: '',
    spanId: '',
    traceState: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    droppedAttributes: 0,
    events: [],
    links: [],
    statusCode: -1,
    statusMessage: '',
    flags: 0,
  };
  fields(bytes, (field, r) => {
    switch (field) {
      case 1:
        span.traceId = hex(r.bytes());
        break;
      case 2:
        span.spanId = hex(r.bytes());
        break;
      case 3:
        span.traceState = r.string();
        break;
      case 4:
        span.parentSpanId = hex(r.bytes());
        break;
      case 5:
        span.name = r.string();
        break;
      case 6:
        span.kind = r.int32();
        break;
      case 7:
        span.startNs = BigInt(r.fixed64());
        break;
      case 8:
        span.endNs = BigInt(r.fixed64());
        break;
      case 9:
        keyValueInto(span.attributes, r.bytes());
        break;
      case 10:
        span.droppedAttributes = r.uint32();
        break;
      case 11: {
        const event = { timeNs: 0n, name: '', attributes: {} as Record<string, Value> };
        fields(r.bytes(), (f, e) => {
          if (f === 1) event.timeNs = BigInt(e.fixed64());
          else if (f === 2) event.name = e.string();
          else if (f === 3) keyValueInto(event.attributes, e.bytes());
          else return false;
          return true;
        });
        span.events.push(event);
        break;
      }
      case 13: {
        const link = { traceId: '', spanId: '', traceState: '', attributes: {} as Record<string, Value>, flags: 0 };
        fields(r.bytes(), (f, l) => {
          if (f === 1) link.traceId = hex(l.bytes());
          else if (f === 2) link.spanId = hex(l.bytes());
          else if (f === 3) link.traceState = l.string();
          else if (f === 4) keyValueInto(link.attributes, l.bytes());
          else if (f === 6) link.flags = l.fixed32();
          else return false;
          return true;
        });
        span.links.push(link);
        break;
      }
      case 15:
        span.statusCode = 0;
        fields(r.bytes(), (f, s) => {
          if (f === 2) span.statusMessage = s.string();
          else if (f === 3) span.statusCode = s.int32();
          else return false;
          return true;
        });
        break;
      case 16:
        span.flags = r.fixed32();
        break;
      default:
        return false;
    }
    return true;
  });
  return span;
}

function decodeRequest(body: Uint8Array): Decoded[] {
  const spans: Decoded[] = [];
  fields(body, (field, r) => {
    if (field !== 1) return false;
    const resource: Record<string, Value> = {};
    const scopes: Uint8Array[] = [];
    fields(r.bytes(), (f, rs) => {
      if (f === 1)
        fields(rs.bytes(), (g, res) => {
          if (g !== 1) return false;
          keyValueInto(resource, res.bytes());
          return true;
        });
      else if (f === 2) scopes.push(rs.bytes());
      else return false;
      return true;
    });
    for (const bytes of scopes) {
      let scope = '';
      let version = '';
      const raw: Uint8Array[] = [];
      fields(bytes, (f, ss) => {
        if (f === 1)
          fields(ss.bytes(), (g, sc) => {
            if (g === 1) scope = sc.string();
            else if (g === 2) version = sc.string();
            else return false;
            return true;
          });
        else if (f === 2) raw.push(ss.bytes());
        else return false;
        return true;
      });
      for (const s of raw) spans.push(decodeSpan(s, resource, scope, version));
    }
    return true;
  });
  return spans;
}

/** A receiver that answers the first `failFirst` requests 503 (Retry-After: 0), then 200, keeping every span. */
async function startReceiver(failFirst = 0): Promise<{ endpoint: string; spans: Decoded[]; requests: number; close(): Promise<void> }> {
  const state = {
    endpoint: '',
    spans: [] as Decoded[],
    requests: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.requests++;
      if (state.requests <= failFirst) {
        response.writeHead(503, { 'retry-after': '0' }).end();
        return;
      }
      assert.equal(request.headers['content-type'], 'application/x-protobuf');
      state.spans.push(...decodeRequest(Buffer.concat(chunks)));
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
  return state;
}

const settings = (endpoint: string, sampleRatio = 1) => ({
  enabled: true,
  endpoint,
  sampleRatio,
  headers: {},
  exportTimeoutMs: 10_000,
  batchDelayMs: 20,
});
const identity = { service: 'encoder-test', version: '1.2.3', namespace: 'test' };
const REMOTE_PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: createTraceState('vendor=opaque,other=1'),
};

/** Nanoseconds of epoch milliseconds, the exact way (the encoder does it without BigInt). */
function nanos(millis: number): bigint {
  const whole = Math.floor(millis);
  return BigInt(whole) * 1_000_000n + BigInt(Math.min(999_999, Math.round((millis - whole) * 1e6)));
}

describe('the kit tracer provider and its OTLP export', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let tracing: ServiceTracing;

  before(async () => {
    receiver = await startReceiver();
    tracing = await createServiceTracing(settings(receiver.endpoint), identity);
  });

  after(async () => {
    await tracing?.shutdown();
    await receiver?.close();
  });

  async function exported(name: string): Promise<Decoded> {
    await tracing.forceFlush();
    const found = receiver.spans.filter((s) => s.name === name);
    assert.equal(found.length, 1, `one span named ${name}, got ${found.length}`);
    return found[0] as Decoded;
  }

  test('every span field and attribute type survives the protobuf', async () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT);
    // Epoch milliseconds after the process started (earlier numbers are performance.now() readings, as in the SDK).
    const start = Math.floor(Date.now()) + 0.123456;
    const long = 'x'.repeat(300);
    const huge = 'é'.repeat(20_000);
    const span = tracing.tracer.startSpan(
      'every field',
      {
        kind: SpanKind.CLIENT,
        startTime: start,
        attributes: { 'from.options': 'yes' },
        links: [
          {
            context: {
              traceId: 'a'.repeat(32),
              spanId: 'b'.repeat(16),
              traceFlags: 0,
              traceState: createTraceState('k=v'),
            },
            attributes: { why: 'linked' },
          },
        ],
      },
      parent,
    );
    span.setAttributes({
      text: 'héllo ✓',
      long,
      huge,
      int: 42,
      negative: -7,
      big: 2 ** 40,
      double: 1.5,
      yes: true,
      no: false,
      strings: ['a', null as unknown as string, 'c'],
      numbers: [1, 2.5],
    });
    span.setAttribute('text', 'replaced');
    span.addEvent('checkpoint', { step: 1 }, start + 1);
    span.recordException(Object.assign(new Error('it broke'), { name: 'BrokenError' }), [Math.floor(start / 1000), 500_000_000]);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.end(new Date(Math.floor(start) + 5));

    const got = await exported('every field');
    assert.equal(got.scope, '@flotilla/kit');
    assert.equal(got.resource['service.name'], 'encoder-test');
    assert.equal(got.resource['service.version'], '1.2.3');
    assert.equal(got.resource['deployment.environment.name'], 'test');
    assert.equal(got.traceId, REMOTE_PARENT.traceId);
    assert.equal(got.parentSpanId, REMOTE_PARENT.spanId);
    assert.match(got.spanId, /^[0-9a-f]{16}$/);
    assert.equal(got.traceState, 'vendor=opaque,other=1');
    assert.equal(got.kind, 3, 'CLIENT is 3 in the protocol');
    assert.equal(got.startNs, nanos(start));
    assert.equal(got.endNs, nanos(Math.floor(start) + 5));
    assert.deepEqual(got.attributes, {
      'from.options': 'yes',
      text: 'replaced',
      long,
      huge,
      int: 42n,
      negative: -7n,
      big: 2n ** 40n,
      double: 1.5,
      yes: true,
      no: false,
      strings: ['a', null, 'c'],
      numbers: [1n, 2.5],
    });
    assert.equal(got.droppedAttributes, 0);
    assert.deepEqual(
      got.events.map((e) => e.name),
      ['checkpoint', 'exception'],
    );
    assert.equal(got.events[0]?.timeNs, nanos(start + 1));
    assert.deepEqual(got.events[0]?.attributes, { step: 1n });
    assert.equal(got.events[1]?.timeNs, BigInt(Math.floor(start / 1000)) * 1_000_000_000n + 500_000_000n);
    assert.equal(got.events[1]?.attributes['exception.type'], 'BrokenError');
    assert.equal(got.events[1]?.attributes['exception.message'], 'it broke');
    assert.match(String(got.events[1]?.attributes['exception.stacktrace']), /it broke/);
    assert.deepEqual(got.links, [
      {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceState: 'k=v',
        attributes: { why: 'linked' },
        flags: 0x100,
      },
    ]);
    assert.equal(got.statusCode, 2);
    assert.equal(got.statusMessage, 'failed');
    assert.equal(got.flags, 0x301, 'sampled, with a remote parent');
  });

  test('a local root: new trace id, no parent, INTERNAL kind, flags without the remote bit; times from performance.now() readings', async () => {
    const startedAt = performance.now();
    const span = tracing.tracer.startSpan('root', { startTime: startedAt }, ROOT_CONTEXT);
    span.end(startedAt + 2.5);
    const got = await exported('root');
    assert.match(got.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(got.traceId, '0'.repeat(32));
    assert.equal(got.parentSpanId, '');
    assert.equal(got.kind, 1);
    assert.equal(got.flags, 0x101);
    assert.equal(got.statusCode, 0);
    assert.equal(got.endNs - got.startNs, 2_500_000n);
    const epochStart = performance.timeOrigin + startedAt;
    assert.ok(got.startNs >= nanos(epochStart) - 1_000n && got.startNs <= nanos(epochStart) + 1_000n);
  });

  test('limits and rules: 128 attributes, OK status is final, nothing changes after end, end twice exports once', async () => {
    const span = tracing.tracer.startSpan('limits', {}, ROOT_CONTEXT);
    for (let i = 0; i < 130; i++) span.setAttribute(`a${i}`, i);
    span.setAttribute('a0', 'overwritten, not added');
    span.setAttribute('bad', { nested: true } as unknown as string);
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    assert.equal(span.isRecording(), true);
    span.end();
    assert.equal(span.isRecording(), false);
    span.setAttribute('after', 'end');
    span.updateName('renamed');
    span.end();
    const got = await exported('limits');
    assert.equal(Object.keys(got.attributes).length, 128);
    assert.equal(got.attributes.a0, 'overwritten, not added');
    assert.equal(got.attributes.a128, undefined);
    assert.equal(got.droppedAttributes, 2);
    assert.equal(got.statusCode, 1);
    assert.equal(got.statusMessage, '');
    assert.equal(got.attributes.after, undefined);
  });

  test('sampling is parent-based, and suppressed work records nothing', async () => {
    const ratioZero = await createServiceTracing(settings(receiver.endpoint, 0), {
      ...identity,
      service: 'ratio-zero',
    });
    try {
      const root = ratioZero.tracer.startSpan('ratio zero root', {}, ROOT_CONTEXT);
      assert.equal(root.isRecording(), false);
      assert.equal(root.spanContext().traceFlags, TraceFlags.NONE);
      assert.match(root.spanContext().spanId, /^[0-9a-f]{16}$/, 'an unsampled span still has its own ids to pass on');
      const followed = ratioZero.tracer.startSpan('sampled parent followed', {}, trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT));
      assert.equal(followed.isRecording(), true);
      followed.end();
      const unsampled = tracing.tracer.startSpan(
        'unsampled parent followed',
        {},
        trace.setSpanContext(ROOT_CONTEXT, { ...REMOTE_PARENT, traceFlags: TraceFlags.NONE }),
      );
      assert.equal(unsampled.isRecording(), false, 'ratio 1 does not override a parent that was not sampled');
      assert.equal(unsampled.spanContext().traceId, REMOTE_PARENT.traceId);
      const suppressed = tracing.tracer.startSpan('suppressed', {}, suppressTracing(ROOT_CONTEXT));
      assert.equal(suppressed.isRecording(), false);
      const child = tracing.tracer.startSpan(
        'child of a kit span',
        {},
        trace.setSpan(ROOT_CONTEXT, tracing.tracer.startSpan('local parent', {}, ROOT_CONTEXT)),
      );
      assert.equal(child.isRecording(), true);
      await ratioZero.forceFlush();
      await tracing.forceFlush();
      const names = receiver.spans.map((s) => s.name);
      assert.ok(names.includes('sampled parent followed'));
      for (const absent of ['ratio zero root', 'unsampled parent followed', 'suppressed'])
        assert.ok(!names.includes(absent), `${absent} was not exported`);
      assert.equal(receiver.spans.find((s) => s.name === 'sampled parent followed')?.resource['service.name'], 'ratio-zero');
    } finally {
      await ratioZero.shutdown();
    }
  });

  test('an attribute repeated span after span, with values that keep changing, is encoded right every time', async () => {
    const values = ['/a', '/a', '/b', '/b', '/c', '/d', '/e', '/f', '/g', '/a', '/a', `é/long/${'p'.repeat(200)}`, '/a'];
    values.forEach((path, i) => {
      const span: Span = tracing.tracer.startSpan(`repeat ${i}`, {}, ROOT_CONTEXT);
      span.setAttribute('url.path', path);
      span.setAttribute('http.request.method', 'GET');
      span.setAttribute('server.port', i % 2 === 0 ? 8080 : 8081);
      span.end();
    });
    await tracing.forceFlush();
    values.forEach((path, i) => {
      const got = receiver.spans.find((s) => s.name === `repeat ${i}`);
      assert.deepEqual(
        got?.attributes,
        { 'url.path': path, 'http.request.method': 'GET', 'server.port': BigInt(i % 2 === 0 ? 8080 : 8081) },
        `span ${i}`,
      );
    });
  });

  test('the API context carries kit spans as parents', async () => {
    const outer = tracing.tracer.startSpan('outer', {}, ROOT_CONTEXT);
    const inner = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => tracing.tracer.startSpan('inner'));
    inner.end();
    outer.end();
    const got = await exported('inner');
    assert.equal(got.parentSpanId, outer.spanContext().spanId);
    assert.equal(got.flags, 0x101, 'a local parent');
  });
});

test('export: a 503 with Retry-After is retried, and many spans go out in several batches', async () => {
  const receiver = await startReceiver(1);
  const tracing = await createServiceTracing(settings(receiver.endpoint), { ...identity, service: 'retrying' });
  try {
    for (let i = 0; i < 5_000; i++) tracing.tracer.startSpan(`bulk ${i}`, {}, ROOT_CONTEXT).end();
    await tracing.forceFlush();
    assert.equal(receiver.spans.length, 5_000, 'every span arrived, the refused batch included');
    assert.equal(new Set(receiver.spans.map((s) => s.name)).size, 5_000);
    assert.ok(
      receiver.requests >= 4,
      `one refused request and at least three batches (of at most 2048), got ${receiver.requests} requests`,
    );
  } finally {
    await tracing.shutdown();
    await receiver.close();
  }
});

test('export: while the collector stalls, the queue stays bounded; what it cannot hold is dropped and reported through diag, the rest arrives', async () => {
  let holding = true;
  const held: Array<() => void> = [];
  let received = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (): void => {
        received += decodeRequest(Buffer.concat(chunks)).length;
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      };
      if (holding) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  diag.setLogger(
    { warn: (message: string) => warnings.push(message), error: ignore, info: ignore, debug: ignore, verbose: ignore },
    DiagLogLevel.WARN,
  );
  const tracing = await createServiceTracing({ ...settings(endpoint), exportTimeoutMs: 60_000 }, { ...identity, service: 'stalled' });
  const dropped = (): number =>
    warnings.reduce((sum, warning) => sum + Number(/^Dropped (\d+) spans: the export queue \(\d+\) was full$/.exec(warning)?.[1] ?? 0), 0);
  try {
    const total = 40_000;
    for (let i = 0; i < total; i++) tracing.tracer.startSpan(`stalled ${i}`, {}, ROOT_CONTEXT).end();
    // The batch timer reports what was dropped while the exports were held; the held requests reach the collector in their own time.
    await eventually(
      () => {
        assert.ok(dropped() > 0 && held.length > 0, `${held.length} held; diag said: ${warnings.join(' | ') || 'nothing'}`);
        return true;
      },
      { timeoutMs: 20_000, message: 'a drop reported and an export received' },
    );
    assert.ok(held.length <= 4, `a bounded number of exports in flight while the collector stalls, got ${held.length}`);
    holding = false;
    for (const answer of held.splice(0)) answer();
    await tracing.forceFlush();
    assert.ok(dropped() > 0 && dropped() < total, `some spans dropped, not all (${dropped()})`);
    assert.equal(received + dropped(), total, 'every span either arrived or was reported dropped');
  } finally {
    // Answer whatever is still held, so shutting down does not wait for export timeouts.
    holding = false;
    for (const answer of held.splice(0)) answer();
    diag.disable();
    await tracing.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
