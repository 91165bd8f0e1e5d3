/** The request id in gRPC metadata: trusted when well-formed, otherwise minted. */
import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

export const REQUEST_ID_METADATA_KEY = 'x-request-id';
// Same rule as the HTTP layer: short and log-safe, or it is replaced.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function isSafeRequestId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value);
}

/** The caller's request id, or a new one; either way written back into `metadata`. */
export function ensureRequestId(metadata: Metadata): string {
  const [incoming] = metadata.get(REQUEST_ID_METADATA_KEY);
  if (isSafeRequestId(incoming)) return incoming;
  const requestId = randomUUID();
  metadata.set(REQUEST_ID_METADATA_KEY, requestId);
  return requestId;
}
