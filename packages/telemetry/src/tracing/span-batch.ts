/**
 * A service's spans between ending and export. Ended spans are encoded into
 * their instrumentation scope's buffer ENCODE_RUN at a time: encoding in a
 * run keeps the encoder's code and data in the CPU caches, where one span at
 * a time, between a request's other work, found them cold (measured on the
 * gateway: bench/observability/README.md). A short run (milliseconds at
 * load) keeps few spans alive across a young-generation collection; longer
 * runs measured no better. A batch is sent when `maxExportBatchSize` spans
 * wait or `batchDelayMs` after the first of them, whichever comes first. At most `maxConcurrentExports` requests are in
 * flight; beyond `maxQueueSize` waiting spans, new ones are dropped (and
 * counted) rather than letting memory grow while the collector is away.
 */
import { diag } from '@opentelemetry/api';
import { encodeExportRequest, writeSpan, type EncodedScope, type SpanRecord } from './otlp-encoding.ts';
import { ProtoWriter } from './proto-writer.ts';

const ENCODE_RUN = 64;

export interface SpanBatchSettings {
  batchDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  maxConcurrentExports: number;
}

/** One instrumentation scope's waiting spans. */
export interface ScopeQueue {
  readonly scopeField: Buffer;
  readonly writer: ProtoWriter;
  count: number;
}

export class SpanBatch {
  private readonly resourceField: Buffer;
  private readonly send: (body: Buffer) => Promise<void>;
  private readonly settings: SpanBatchSettings;
  private readonly scopes: ScopeQueue[] = [];
  /** Ended spans not encoded yet, and their scopes. */
  private readonly endedSpans: SpanRecord[] = [];
  private readonly endedScopes: ScopeQueue[] = [];
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Spans dropped since the last export (the queue was full, or the batch closed): reported with the next one. */
  private dropped = 0;

  constructor(resourceField: Buffer, send: (body: Buffer) => Promise<void>, settings: SpanBatchSettings) {
    this.resourceField = resourceField;
    this.send = send;
    this.settings = settings;
  }

  /** A queue for one instrumentation scope (its ScopeSpans.scope field, encoded). */
  scope(scopeField: Buffer): ScopeQueue {
    const queue: ScopeQueue = { scopeField, writer: new ProtoWriter(), count: 0 };
    this.scopes.push(queue);
    return queue;
  }

  record(queue: ScopeQueue, span: SpanRecord): void {
    if (this.closed || this.waiting >= this.settings.maxQueueSize) {
      this.dropped++;
      return;
    }
    this.endedSpans.push(span);
    this.endedScopes.push(queue);
    this.waiting++;
    if (this.endedSpans.length >= ENCODE_RUN) this.encodeEnded();
    if (this.waiting >= this.settings.maxExportBatchSize) this.flush();
    else this.timer ??= setTimeout(this.onTimer, this.settings.batchDelayMs).unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  private encodeEnded(): void {
    const spans = this.endedSpans;
    const scopes = this.endedScopes;
    for (let i = 0; i < spans.length; i++) {
      const queue = scopes[i] as ScopeQueue;
      writeSpan(queue.writer, spans[i] as SpanRecord);
      queue.count++;
    }
    spans.length = 0;
    scopes.length = 0;
  }

  /** Starts exporting what waits, unless too many exports are in flight (then the timer tries again). */
  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.dropped > 0) {
      // As the SDK's batch processor does: through the API's diagnostics logger (silent unless one is set).
      diag.warn(`Dropped ${this.dropped} spans: the export queue (${this.settings.maxQueueSize}) was full`);
      this.dropped = 0;
    }
    if (this.waiting === 0) return;
    this.encodeEnded();
    if (this.inFlight.size >= this.settings.maxConcurrentExports) {
      this.timer = setTimeout(this.onTimer, this.settings.batchDelayMs).unref();
      return;
    }
    const scopes: EncodedScope[] = [];
    for (const queue of this.scopes) {
      if (queue.count === 0) continue;
      scopes.push({ scopeField: queue.scopeField, spans: queue.writer.buf.subarray(0, queue.writer.pos) });
    }
    // The request is a fresh buffer, so the scope buffers are reused at once.
    const body = encodeExportRequest(this.resourceField, scopes);
    const spans = this.waiting;
    for (const queue of this.scopes) {
      queue.writer.reset();
      queue.count = 0;
    }
    this.waiting = 0;
    const exported: Promise<void> = this.send(body).then(
      () => this.settled(exported),
      (error: unknown) => {
        diag.warn(`OTLP export of ${spans} spans failed: ${(error as Error).message}`);
        this.settled(exported);
      },
    );
    this.inFlight.add(exported);
  }

  private settled(exported: Promise<void>): void {
    this.inFlight.delete(exported);
    if (this.waiting >= this.settings.maxExportBatchSize) this.flush();
  }

  /** Exports everything ended so far and waits for every export in flight. */
  async forceFlush(): Promise<void> {
    for (;;) {
      this.flush();
      if (this.inFlight.size === 0 && this.waiting === 0) return;
      await Promise.all([...this.inFlight]);
    }
  }

  /** Flushes, then drops whatever ends later. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.closed = true;
  }
}
