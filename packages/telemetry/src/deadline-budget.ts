/**
 * `flotilla.deadline.budget_ms` on every server span: the milliseconds the
 * caller allowed when the request arrived (its `x-request-timeout` or
 * `grpc-timeout`). Read hop after hop along one trace, it shows a deadline
 * shrinking as it travels (gateway → orders → users), and which hop spent it.
 * A request without a deadline gets no attribute; neither does a malformed
 * header (the request itself is refused with a 400 elsewhere).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GRPC_TIMEOUT_HEADER, parseGrpcTimeout, parseRequestTimeout, REQUEST_TIMEOUT_HEADER } from '@flotilla/core';

export const DEADLINE_BUDGET_ATTRIBUTE = 'flotilla.deadline.budget_ms';

/** The caller's budget in an HTTP request's headers (the shorter of the two), or undefined. */
export function budgetFromHeaders(headers: IncomingHttpHeaders): number | undefined {
  const http = headers[REQUEST_TIMEOUT_HEADER];
  const grpc = headers[GRPC_TIMEOUT_HEADER];
  if (http === undefined && grpc === undefined) return undefined;
  try {
    const budgets = [parseRequestTimeout(single(http)), parseGrpcTimeout(single(grpc))].filter((ms): ms is number => ms !== undefined);
    return budgets.length === 0 ? undefined : Math.min(...budgets);
  } catch {
    return undefined;
  }
}

/** What is left until a gRPC call's deadline (grpc-js's `getDeadline()`), or undefined for none. */
export function budgetFromDeadline(deadline: Date | number): number | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? Math.max(0, Math.round(at - Date.now())) : undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
