/**
 * Deadline: the absolute instant by which a request must be answered. It is
 * read from the route's timeout and the client's `x-request-timeout` (ms) or
 * `grpc-timeout` (whichever is shortest), travels with the request context,
 * and leaves with every outbound call as the time *remaining*, so each hop
 * gets less than the one before it.
 */
import { DeadlineExceededError, FlotillaError } from './errors.ts';
import { NEVER_ABORTED, systemClock, type Clock } from './clock.ts';

export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';
export const GRPC_TIMEOUT_HEADER = 'grpc-timeout';

/** Node's timers overflow past this; a deadline further away never fires its signal. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Incoming headers as Node gives them (lower-case names). */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export class Deadline {
  /** No deadline: infinite time remaining, a signal that never fires, no header. */
  static readonly NONE = new Deadline(Number.POSITIVE_INFINITY, systemClock);

  /** Epoch milliseconds; Infinity for Deadline.NONE. */
  readonly at: number;
  readonly #clock: Clock;
  #signal: AbortSignal | undefined;

  private constructor(at: number, clock: Clock) {
    this.at = at;
    this.#clock = clock;
  }

  static after(ms: number, clock: Clock = systemClock): Deadline {
    return new Deadline(clock.now() + Math.max(0, ms), clock);
  }

  static at(epochMs: number, clock: Clock = systemClock): Deadline {
    return Number.isFinite(epochMs) ? new Deadline(epochMs, clock) : Deadline.NONE;
  }

  /**
   * The deadline of an incoming request: the earliest of the route timeout and
   * the client's `x-request-timeout` / `grpc-timeout`. Deadline.NONE when none
   * applies. A malformed header is a `bad-request` FlotillaError.
   */
  static fromRequest(headers: HeaderBag, options: { routeTimeoutMs?: number | undefined; clock?: Clock } = {}): Deadline {
    const clock = options.clock ?? systemClock;
    const candidates = [
      options.routeTimeoutMs,
      parseRequestTimeout(single(headers[REQUEST_TIMEOUT_HEADER])),
      parseGrpcTimeout(single(headers[GRPC_TIMEOUT_HEADER])),
    ].filter((ms): ms is number => ms !== undefined);
    return candidates.length === 0 ? Deadline.NONE : Deadline.after(Math.min(...candidates), clock);
  }

  get bounded(): boolean {
    return Number.isFinite(this.at);
  }

  /** Milliseconds left (0 once passed; Infinity without a deadline). */
  remaining(): number {
    return this.bounded ? Math.max(0, this.at - this.#clock.now()) : Number.POSITIVE_INFINITY;
  }

  expired(): boolean {
    return this.remaining() <= 0;
  }

  /** The earlier of the two (this one when `other` is undefined). */
  earliest(other: Deadline | undefined): Deadline {
    return other === undefined || other.at >= this.at ? this : other;
  }

  /** This deadline, capped at `ms` from now (a per-call timeout). */
  within(ms: number | undefined): Deadline {
    return ms === undefined ? this : this.earliest(Deadline.after(ms, this.#clock));
  }

  /**
   * Aborted (with a DeadlineExceededError) when the deadline passes. Made on
   * first use, one timer per Deadline, unref'd so it never holds a process open.
   */
  get signal(): AbortSignal {
    if (this.#signal !== undefined) return this.#signal;
    const remaining = this.remaining();
    if (!this.bounded || remaining > MAX_TIMER_MS) {
      this.#signal = NEVER_ABORTED;
      return NEVER_ABORTED;
    }
    const controller = new AbortController();
    if (remaining <= 0) controller.abort(this.error());
    else setTimeout(() => controller.abort(this.error()), remaining).unref();
    const signal = controller.signal;
    this.#signal = signal;
    return signal;
  }

  /** `x-request-timeout` for the next hop: whole milliseconds remaining, or undefined without a deadline. */
  toHeader(): string | undefined {
    return this.bounded ? String(Math.floor(this.remaining())) : undefined;
  }

  /** The headers to send to the next HTTP hop (empty without a deadline). */
  toHeaders(): Record<string, string> {
    const value = this.toHeader();
    return value === undefined ? {} : { [REQUEST_TIMEOUT_HEADER]: value };
  }

  /** `grpc-timeout` for the next hop (e.g. "250m"), or undefined without a deadline. */
  toGrpcTimeout(): string | undefined {
    return this.bounded ? formatGrpcTimeout(this.remaining()) : undefined;
  }

  error(message = 'The deadline was exceeded'): DeadlineExceededError {
    return new DeadlineExceededError(message);
  }

  throwIfExpired(message?: string): void {
    if (this.expired()) throw this.error(message);
  }
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.join(', ');
}

function badHeader(header: string, value: string, rule: string): FlotillaError {
  return new FlotillaError('bad-request', `Header ${header} ${rule} (got "${value.slice(0, 40)}")`, {
    details: { header },
  });
}

/** `x-request-timeout`: whole milliseconds, 0 to 999999999. */
export function parseRequestTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^\d{1,9}$/.test(trimmed)) throw badHeader(REQUEST_TIMEOUT_HEADER, value, 'must be a whole number of milliseconds');
  return Number(trimmed);
}

const GRPC_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };

/** `grpc-timeout` as the gRPC HTTP/2 protocol defines it: up to 8 digits and a unit (H M S m u n). */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (match === null) throw badHeader(GRPC_TIMEOUT_HEADER, value, 'must be 1-8 digits followed by a unit (H, M, S, m, u, n)');
  return Number(match[1]) * (GRPC_UNITS_MS[match[2] as string] as number);
}

/** Milliseconds as a `grpc-timeout` value, rounded down, in the finest unit that fits 8 digits. */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole < 100_000_000) return `${whole}m`;
  const seconds = Math.floor(whole / 1_000);
  if (seconds < 100_000_000) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.floor(seconds / 3_600))}H`;
}
