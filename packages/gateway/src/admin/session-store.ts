/**
 * The console's sessions, in this gateway's memory only: an opaque random id
 * (the cookie) maps to who logged in and the session's CSRF token. The
 * credential itself is never kept. A session ends after `idleMs` without a
 * request, `maxAgeMs` after the login whatever its use, or at logout; when
 * `maxSessions` are open, a new login ends the one unused for longest.
 * Sessions do not survive a restart and are not shared between gateways.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '@flotilla/kit';

export interface SessionSettings {
  idleMs: number;
  maxAgeMs: number;
  maxSessions: number;
}

/** 30 minutes idle, 12 hours at most, 1 000 sessions. */
export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  idleMs: 30 * 60_000,
  maxAgeMs: 12 * 60 * 60_000,
  maxSessions: 1_000,
};

export interface ConsoleSession {
  readonly id: string;
  readonly subject: string;
  readonly roles: readonly string[];
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

/** 256 bits, URL-safe: nothing to guess, nothing to escape in a cookie or a header. */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  readonly settings: SessionSettings;
  readonly #clock: Clock;
  /** Least recently used first: `touch` moves a session to the end. */
  readonly #sessions = new Map<string, ConsoleSession>();

  constructor(settings: Partial<SessionSettings> = {}, clock: Clock = systemClock) {
    this.settings = { ...DEFAULT_SESSION_SETTINGS, ...settings };
    this.#clock = clock;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(subject: string, roles: readonly string[]): ConsoleSession {
    this.#sweep();
    while (this.#sessions.size >= this.settings.maxSessions) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done === true) break;
      this.#sessions.delete(oldest.value);
    }
    const now = this.#clock.now();
    const session: ConsoleSession = {
      id: randomToken(),
      subject,
      roles: [...roles],
      csrfToken: randomToken(),
      createdAt: now,
      lastSeenAt: now,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle time restarted; undefined when unknown or expired. */
  touch(id: string): ConsoleSession | undefined {
    const session = this.peek(id);
    if (session === undefined) return undefined;
    session.lastSeenAt = this.#clock.now();
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }

  /** The live session with this id, left as it is. */
  peek(id: string): ConsoleSession | undefined {
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (this.#expired(session, this.#clock.now())) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  end(id: string): boolean {
    return this.#sessions.delete(id);
  }

  /** When the session ends unless it is used again. */
  expiresAt(session: ConsoleSession): number {
    return Math.min(session.lastSeenAt + this.settings.idleMs, session.createdAt + this.settings.maxAgeMs);
  }

  clear(): void {
    this.#sessions.clear();
  }

  #expired(session: ConsoleSession, now: number): boolean {
    return now >= this.expiresAt(session);
  }

  /**
   * Drops the sessions idle for too long: they sit at the least recently used
   * end. One past its maximum age elsewhere goes when it is next looked up.
   */
  #sweep(): void {
    const now = this.#clock.now();
    for (const session of this.#sessions.values()) {
      if (now < session.lastSeenAt + this.settings.idleMs) break;
      this.#sessions.delete(session.id);
    }
  }
}

/** Compares a presented token with the session's in constant time. */
export function sameToken(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
