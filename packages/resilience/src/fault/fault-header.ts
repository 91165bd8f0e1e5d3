/**
 * `x-flotilla-fault`: a fault asked for by one request, e.g.
 *
 *   x-flotilla-fault: delay=200ms
 *   x-flotilla-fault: abort=503
 *   x-flotilla-fault: delay=1s, abort=grpc:UNAVAILABLE
 *
 * Items are separated by `,` or `;`. `delay` takes ms (`200`, `200ms`) or
 * seconds (`1.5s`), at most 60 s; `abort` an HTTP status 400-599 or
 * `grpc:<code>` (1-16, or its name). Anything else is a `bad-request` error
 * naming the header and the offending item.
 */
import { FlotillaError } from '@flotilla/core';
import type { HeaderBag } from '@flotilla/core';
import type { FaultSpec } from './fault-spec.ts';
import type { FaultPermission } from './permission.ts';

export const FAULT_HEADER = 'x-flotilla-fault';
export const MAX_FAULT_DELAY_MS = 60_000;

const GRPC_CODE_NAMES: Readonly<Record<string, number>> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

function invalid(value: string, problem: string): FlotillaError {
  return new FlotillaError(
    'bad-request',
    `Header ${FAULT_HEADER} ${problem}; expected e.g. "delay=200ms", "abort=503" or "abort=grpc:UNAVAILABLE"`,
    {
      details: { header: FAULT_HEADER, value: value.slice(0, 100) },
    },
  );
}

export function parseFaultHeader(value: string): FaultSpec {
  const items = value
    .split(/[,;]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw invalid(value, 'is empty');
  const spec: FaultSpec = {};
  for (const item of items) {
    const match = /^([a-z]+)\s*=\s*(.+)$/i.exec(item);
    if (match === null) throw invalid(value, `has "${item}", not key=value`);
    const key = (match[1] as string).toLowerCase();
    const raw = (match[2] as string).trim();
    if (key === 'delay') {
      if (spec.delayMs !== undefined) throw invalid(value, 'names delay twice');
      spec.delayMs = parseDelay(value, raw);
    } else if (key === 'abort') {
      if (spec.abort !== undefined) throw invalid(value, 'names abort twice');
      spec.abort = parseAbort(value, raw);
    } else {
      throw invalid(value, `has an unknown fault "${key}" (known: delay, abort)`);
    }
  }
  return spec;
}

function parseDelay(value: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(raw);
  if (match === null) throw invalid(value, `has delay "${raw}", not a duration like 200ms or 1.5s`);
  const ms = Number(match[1]) * ((match[2] ?? 'ms').toLowerCase() === 's' ? 1_000 : 1);
  if (ms > MAX_FAULT_DELAY_MS) throw invalid(value, `asks for a delay of ${ms} ms, more than the ${MAX_FAULT_DELAY_MS} ms allowed`);
  return Math.round(ms);
}

function parseAbort(value: string, raw: string): { status: number } | { grpcCode: number } {
  const grpc = /^grpc:\s*(\S+)$/i.exec(raw);
  if (grpc !== null) {
    const name = (grpc[1] as string).toUpperCase();
    const code = /^\d+$/.test(name) ? Number(name) : GRPC_CODE_NAMES[name];
    if (code === undefined || code < 1 || code > 16) throw invalid(value, `has abort "${raw}", not a gRPC code 1-16 or its name`);
    return { grpcCode: code };
  }
  if (!/^\d{3}$/.test(raw) || Number(raw) < 400 || Number(raw) > 599)
    throw invalid(value, `has abort "${raw}", not an HTTP status 400-599`);
  return { status: Number(raw) };
}

/**
 * The fault a request asks for, when the namespace allows the header
 * (`permission.header`); undefined when there is none or it is not allowed
 * (the header is then ignored, not an error). A malformed header where it is
 * allowed is a `bad-request` error.
 */
export function faultFromHeaders(headers: HeaderBag | Headers, permission: Pick<FaultPermission, 'header'>): FaultSpec | undefined {
  if (!permission.header) return undefined;
  const raw = headers instanceof Headers ? headers.get(FAULT_HEADER) : headers[FAULT_HEADER];
  if (raw === undefined || raw === null) return undefined;
  return parseFaultHeader(typeof raw === 'string' ? raw : raw.join(','));
}
