/**
 * A loopback OTLP/HTTP traces receiver: accepts `POST /v1/traces` with an
 * `ExportTraceServiceRequest` in protobuf and decodes the spans with
 * @flotilla/telemetry's decoder.
 */
import { createServer, type Server } from 'node:http';
import { decodeTraceExport, type OtlpAttributeValue, type OtlpSpan } from '@flotilla/telemetry';
import { eventually } from '../eventually.ts';

export type AttributeValue = OtlpAttributeValue;
export type ReceivedSpan = OtlpSpan;

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
      receiver.spans.push(...decodeTraceExport(Buffer.concat(chunks)));
      // An empty ExportTraceServiceResponse.
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  receiver.endpoint = `http://127.0.0.1:${port}/v1/traces`;
  return receiver;
}
