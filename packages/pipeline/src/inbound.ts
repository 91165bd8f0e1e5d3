/** A request as the admission steps see it: the same for Fastify's routes and the gateway's proxy path. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Closable } from '@flotilla/resilience';

export interface Inbound {
  readonly method: string;
  /** Path and query as received (identity-header binding). */
  readonly url: string;
  /** The path alone (shedding exemptions). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientAddress: string | undefined;
  /** Emits `close` when the answer is sent or the client left: in-flight accounting. */
  readonly response: Closable;
}
