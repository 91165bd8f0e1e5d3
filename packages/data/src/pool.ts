/** Connection pool settings shared by the PostgreSQL and MySQL drivers. */
import { ValidationError } from '@flotilla/core';

export interface PoolOptions {
  /** Most connections open at once. Default 10. */
  max?: number;
  /** Connections kept open even when idle. Default 0. */
  min?: number;
  /** Close a connection idle for this long (beyond `min`). Default 30 000. */
  idleTimeoutMs?: number;
  /** Give up connecting, or waiting for a free connection, after this long. Default 10 000. */
  acquireTimeoutMs?: number;
}

export type ResolvedPoolOptions = Required<PoolOptions>;

export interface PoolStats {
  /** Connections open (idle + in use). */
  total: number;
  /** Open connections not in use. */
  idle: number;
  /** Callers queued for a connection. */
  waiting: number;
}

export const DEFAULT_POOL: ResolvedPoolOptions = { max: 10, min: 0, idleTimeoutMs: 30_000, acquireTimeoutMs: 10_000 };

export function resolvePoolOptions(options: PoolOptions | undefined): ResolvedPoolOptions {
  const resolved = { ...DEFAULT_POOL, ...stripUndefined(options ?? {}) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value < 0) throw invalid(name, 'range', `must be a non-negative number, got ${value}`);
  }
  if (resolved.max < 1) throw invalid('max', 'minimum', 'must be at least 1');
  if (resolved.min > resolved.max) throw invalid('min', 'maximum', 'must not exceed pool.max');
  return resolved;
}

function stripUndefined(options: PoolOptions): PoolOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as PoolOptions;
}

function invalid(name: string, rule: string, message: string): ValidationError {
  return new ValidationError([{ field: `pool.${name}`, rule, message }], `Invalid database pool option pool.${name}: ${message}`);
}
