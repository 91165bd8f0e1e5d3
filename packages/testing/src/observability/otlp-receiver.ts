/**
 * A loopback OTLP/HTTP traces receiver: accepts `POST /v1/traces` with an
 * `ExportTraceServiceRequest` in protobuf and decodes the spans (only the
 * fields the suites look at) with @bufbuild/protobuf's wire reader.
 */
import { createServer, type Server } from 'node:http';
import { eventually } from '../eventually.ts';
import { fields, hex } from './protobuf-fields.ts';

export type AttributeValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

/**
 * Whether `child` lies within `parent` in time. The OpenTelemetry JS SDK
 * anchors each span's start to `Date.now()` (whole milliseconds) and adds a
 * monotonic duration, so two spans' clocks can disagree by up to 1 ms: that
 * much slack is allowed, no more.
 */
export function liesWithin(child: ReceivedSpan, parent: ReceivedSpan): boolean {
  return child.startNs + CLOCK_SLACK_NS >= parent.startNs && child.endNs <= parent.endNs + CLOCK_SLACK_NS;
}

/** Whether two spans overlap in time, within the same 1 ms of clock slack. */
export function overlap(a: ReceivedSpan, b: ReceivedSpan): boolean {
  return a.startNs < b.endNs + CLOCK_SLACK_NS && b.startNs < a.endNs + CLOCK_SLACK_NS;
}

const CLOCK_SLACK_NS = 1_000_000n;

function anyValue(bytes: Uint8Array): AttributeValue {
  let value: AttributeValue;
  fields(bytes, (field, r) => {
    if (field === 1) value = r.string();
    else if (field === 2) value = r.bool();
    else if (field === 3) value = Number(r.int64());
    else if (field === 4) value = r.double();
    else return false;
    return true;
  });
  return value;
}

function keyValue(bytes: Uint8Array): [string, AttributeValue] {
  let key = '';
  let value: AttributeValue;
  fields(bytes, (field, r) => {
    if (field === 1) key = r.string();
    else if (field === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  return [key, value];
}

function span(bytes: Uint8Array, service: string, scope: string): ReceivedSpan {
  const result: ReceivedSpan = {
    service,
    scope,
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    statusCode: 0,
  };
  fields(bytes, (field, r) => {
    switch (field) {
      case 1:
        result.traceId = hex(r.bytes());
        return true;
      case 2:
        result.spanId = hex(r.bytes());
        return true;
      case 3:
        result.traceState = r.string();
        return true;
      case 4:
        result.parentSpanId = hex(r.bytes());
        return true;
      case 5:
        result.name = r.string();
        return true;
      case 6:
        result.kind = r.int32();
        return true;
      case 7:
        result.startNs = BigInt(r.fixed64());
        return true;
      case 8:
        result.endNs = BigInt(r.fixed64());
        return true;
      case 9: {
        const [k, v] = keyValue(r.bytes());
        result.attributes[k] = v;
        return true;
      }
      case 15:
        fields(r.bytes(), (f, s) => {
          if (f !== 3) return false;
          result.statusCode = s.int32();
          return true;
        });
        return true;
      default:
        return false;
    }
  });
  return result;
}

function decodeExportRequest(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  fields(body, (field, r) => {
    if (field !== 1) return false;
    let service = '';
    const scopeSpans: Uint8Array[] = [];
    fields(r.bytes(), (f, rs) => {
      if (f === 1) {
        fields(rs.bytes(), (g, res) => {
          if (g !== 1) return false;
          const [k, v] = keyValue(res.bytes());
          if (k === 'service.name') service = String(v);
          return true;
        });
      } else if (f === 2) scopeSpans.push(rs.bytes());
      else return false;
      return true;
    });
    for (const bytes of scopeSpans) {
      let scope = '';
      const raw: Uint8Array[] = [];
      fields(bytes, (f, ss) => {
        if (f === 1)
          fields(ss.bytes(), (g, sc) => {
            if (g !== 1) return false;
            scope = sc.string();
            return true;
          });
        else if (f === 2) raw.push(ss.bytes());
        else return false;
        return true;
      });
      for (const s of raw) spans.push(span(s, service, scope));
    }
    return true;
  });
  return spans;
}

export interface OtlpReceiver {
  /** e.g. http://127.0.0.1:PORT/v1/traces */
  endpoint: string;
  spans: ReceivedSpan[];
  /** How many export requests arrived. */
  requests: number;
  /** Waits until `predicate` holds for the spans received so far (fails after `timeoutMs`, naming what arrived). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, what: string, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, 'endpoint'> & { endpoint: string } = {
    endpoint: '',
    spans: [],
    requests: 0,
    waitFor: (predicate, what, timeoutMs = 10_000) =>
      eventually(() => predicate(receiver.spans) && receiver.spans, { timeoutMs, message: what }).catch((error: Error) => {
        const received = receiver.spans.map((s) => `${s.service}:${s.name}`).join(', ') || 'no spans';
        throw new Error(`${error.message}; received ${received}`);
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || request.headers['content-type'] !== 'application/x-protobuf') {
        response.writeHead(400).end();
        return;
      }
      receiver.requests++;
      receiver.spans.push(...decodeExportRequest(Buffer.concat(chunks)));
      // An empty ExportTraceServiceResponse.
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  receiver.endpoint = `http://127.0.0.1:${port}/v1/traces`;
  return receiver;
}
