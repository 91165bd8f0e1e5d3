/**
 * OTLP/HTTP transport for encoded trace requests: `POST` with
 * `Content-Type: application/x-protobuf` over a keep-alive agent. As the
 * OTLP/HTTP specification asks, 429, 502, 503 and 504 answers (and a lost
 * connection) are retried with exponential backoff and jitter, honouring
 * `Retry-After`, until `timeoutMs` after the first attempt; any other
 * non-2xx answer fails the export.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;
const MAX_ATTEMPTS = 5;

export interface OtlpHttpSettings {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Sockets kept to the endpoint (one per concurrent export). */
  maxSockets: number;
}

export interface OtlpSender {
  send(body: Buffer): Promise<void>;
  close(): void;
}

class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfterMs: number | undefined) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

function retryAfterMs(response: IncomingMessage): number | undefined {
  const header = response.headers['retry-after'];
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function otlpHttpSender(settings: OtlpHttpSettings): OtlpSender {
  const url = new URL(settings.url);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: settings.maxSockets })
    : new HttpAgent({ keepAlive: true, maxSockets: settings.maxSockets });
  const request = secure ? httpsRequest : httpRequest;

  function attempt(body: Buffer, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { ...settings.headers, 'content-type': 'application/x-protobuf', 'content-length': body.length },
      });
      req.setTimeout(timeoutMs, () =>
        req.destroy(Object.assign(new Error(`OTLP export timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(RETRYABLE_ERRORS.has(error.code ?? '') ? new RetryableError(error.message, undefined) : error),
      );
      req.on('response', (response) => {
        // The answer (an ExportTraceServiceResponse, maybe a partial success) is read and let go.
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else if (RETRYABLE_STATUS.has(status)) reject(new RetryableError(`OTLP endpoint answered ${status}`, retryAfterMs(response)));
          else reject(new Error(`OTLP endpoint answered ${status}`));
        });
      });
      req.end(body);
    });
  }

  return {
    async send(body) {
      const deadline = performance.now() + settings.timeoutMs;
      let backoff = INITIAL_BACKOFF_MS;
      for (let tries = 1; ; tries++) {
        try {
          return await attempt(body, Math.max(1, deadline - performance.now()));
        } catch (error) {
          if (!(error instanceof RetryableError) || tries >= MAX_ATTEMPTS) throw error;
          const wait = error.retryAfterMs ?? backoff * (0.8 + 0.4 * Math.random());
          if (performance.now() + wait >= deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, wait));
          backoff = Math.min(MAX_BACKOFF_MS, backoff * 1.5);
        }
      }
    },
    close() {
      agent.destroy();
    },
  };
}
