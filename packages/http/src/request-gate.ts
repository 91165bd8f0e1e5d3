/**
 * The Node server in front of the front handler and Fastify: what is answered
 * before either sees a request, each as a problem with `connection: close`.
 *
 * - A version other than HTTP/1.x that the parser still let through
 *   (`HTTP/2.0`, `HTTP/0.9` request lines): 505 `http-version-not-supported`.
 * - An HTTP/1.1 request without exactly one Host header: 400 (Node's own
 *   check, `requireHostHeader`, answers with an empty body, so it is off and
 *   done here).
 * - While the server drains: 503 `unavailable` for what Fastify would serve
 *   (replacing Fastify's `return503OnClosing` body); the front handler keeps
 *   its own answer for its own requests.
 * - `CONNECT` (Node hands it over as a bare socket; without a listener the
 *   connection just closes): 405 with `Allow` when the target is a path some
 *   route serves, else 404.
 * - An `Expect` other than `100-continue`: 417 `expectation-failed` (Node's
 *   own answer has an empty body).
 * - An absolute-form target: served as its path (RFC 9112 §3.2.2); another
 *   form that is not a path: 400.
 * - A front handler that throws: a 500 `internal`, logged, instead of a
 *   crashed process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { requestIdFrom } from '@flotilla/telemetry';
import type { ResponsesInFlight } from './client-errors.ts';
import { lingerIfBodyUnread } from './lingering-close.ts';
import { instanceOf } from './problem.ts';
import type { RouteMethods } from './route-methods.ts';
import { type SocketProblem, sendResponseProblem, writeSocketProblem } from './socket-problem.ts';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface RequestGate {
  logger: Logger;
  inFlight: ResponsesInFlight;
  /** The front handler of the moment (the gateway's proxy path); false hands the request on. */
  front(): ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  /** True once the app began to close. */
  draining(): boolean;
}

/** The server's `request` listener: the gate, then the front handler, then Fastify. */
export function gatedRequestListener(gate: RequestGate, fastify: RequestListener): RequestListener {
  return (req, res) => {
    gate.inFlight.track(req, res);
    lingerIfBodyUnread(req, res);
    const refused = gateProblem(req) ?? toOriginForm(req);
    if (refused !== undefined) {
      sendResponseProblem(res, requestIdFrom(req), undefined, refused);
      return;
    }
    const front = gate.front();
    if (front !== undefined) {
      try {
        if (front(req, res)) return;
      } catch (error) {
        const requestId = requestIdFrom(req);
        gate.logger.error({ err: error, http: { request: { id: requestId } } }, 'Unexpected error in the front handler');
        sendResponseProblem(res, requestId, instanceOf(req.url ?? '/'), { code: 'internal', detail: 'An unexpected error occurred' });
        return;
      }
    }
    if (gate.draining()) {
      sendResponseProblem(res, requestIdFrom(req), instanceOf(req.url ?? '/'), {
        code: 'unavailable',
        detail: 'This instance is shutting down; retry the request on another',
      });
      return;
    }
    fastify(req, res);
  };
}

function gateProblem(req: IncomingMessage): SocketProblem | undefined {
  if (req.httpVersionMajor !== 1) return { code: 'http-version-not-supported', detail: 'This server speaks HTTP/1.0 and HTTP/1.1 only' };
  if (req.httpVersionMinor === 1 && hostHeaders(req.rawHeaders) !== 1)
    return { code: 'bad-request', detail: 'An HTTP/1.1 request carries exactly one Host header' };
  return undefined;
}

const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*([^#]*)$/i;

/**
 * An absolute-form target (`GET http://host/users/1`), which RFC 9112 §3.2.2
 * says a server must accept, is served as its path and query; anything else
 * that is not origin-form (`*` aside, which only OPTIONS may use) is a 400.
 */
function toOriginForm(req: IncomingMessage): SocketProblem | undefined {
  const url = req.url ?? '/';
  if (url.charCodeAt(0) === 0x2f || url === '*') return undefined;
  const rest = ABSOLUTE_FORM.exec(url)?.[1];
  if (rest === undefined) return { code: 'bad-request', detail: 'The request target is neither a path nor an absolute http(s) URL' };
  req.url = rest === '' ? '/' : rest.charCodeAt(0) === 0x3f ? `/${rest}` : rest;
  return undefined;
}

function hostHeaders(raw: string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

/** The server's `connect` listener: this server is no proxy; a CONNECT is a method its paths do not allow. */
export function connectListener(routes: RouteMethods): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    const target = req.url ?? '';
    const allow = target.startsWith('/') ? routes.allowed(target.split('?')[0] as string) : [];
    writeSocketProblem(
      socket,
      allow.length > 0
        ? {
            code: 'method-not-allowed',
            detail: 'This path does not support the request method; Allow lists the ones it does',
            headers: [['allow', allow.join(', ')]],
          }
        : { code: 'not-found', detail: 'No resource at this target' },
    );
  };
}

/** The server's `checkExpectation` listener. */
export function expectationListener(req: IncomingMessage, res: ServerResponse): void {
  sendResponseProblem(res, requestIdFrom(req), instanceOf(req.url ?? '/'), {
    code: 'expectation-failed',
    detail: 'This server meets no expectation other than 100-continue',
  });
}
