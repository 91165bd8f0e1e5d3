/**
 * Header rewriting at the proxy boundary (RFC 9110 §7.6.1): hop-by-hop
 * headers, and any a `Connection` header names, stop here; the upstream gets
 * a request id and where the request came from (`Forwarded`, `X-Forwarded-*`).
 *
 * Headers travel as flat `[name, value, name, value]` arrays, the form both
 * Node's `rawHeaders`/`writeHead` and undici accept, so no header object is
 * built on the hot path.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Same rule as the kit's request ids: a well-formed incoming id is kept, otherwise one is minted. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface UpstreamRequestHeaders {
  headers: string[];
  requestId: string;
  /** True when the client sends a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
}

/**
 * `proto` is how the client reached the gateway. Incoming `X-Forwarded-For`
 * and `Forwarded` are extended (the chain is kept); `X-Forwarded-Proto/Host`
 * are replaced with what this hop saw. With `ownTraceContext` the incoming
 * `traceparent`/`tracestate`/`baggage` stay here: the gateway traces and
 * injects its own (its client span, continuing the caller's trace);
 * without it (tracing off) they pass through, so the trace skips this hop
 * instead of breaking.
 */
export function upstreamRequestHeaders(req: IncomingMessage, proto: string, ownTraceContext = false): UpstreamRequestHeaders {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let requestId: string | undefined;
  let host: string | undefined;
  let forwarded: string | undefined;
  let forwardedFor: string | undefined;
  let connection: string | undefined;
  let hasBody = false;

  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    switch (name.toLowerCase()) {
      case 'host':
        host = value;
        break;
      case 'x-request-id':
        requestId ??= value;
        break;
      case 'forwarded':
        forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection},${value}`;
        break;
      case 'content-length':
        if (value !== '0') hasBody = true;
        headers.push(name, value);
        break;
      case 'transfer-encoding':
        hasBody = true;
        break;
      case 'traceparent':
      case 'tracestate':
      case 'baggage':
        if (!ownTraceContext) headers.push(name, value);
        break;
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'keep-alive':
      case 'proxy-authenticate':
      case 'proxy-authorization':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'upgrade':
      case 'expect': // Node has already answered 100-continue; undici refuses to send it
      // The gateway sets these itself: a client must not forge an identity, pick its
      // own shedding priority, or stretch the deadline the route allows.
      case 'x-flotilla-identity':
      case 'x-flotilla-priority':
      case 'x-request-timeout':
        break;
      default:
        headers.push(name, value);
    }
  }
  if (connection !== undefined) dropConnectionListed(headers, connection);

  const id = requestId !== undefined && SAFE_REQUEST_ID.test(requestId) ? requestId : randomUUID();
  const client = req.socket.remoteAddress ?? 'unknown';
  const node = client.includes(':') ? `"[${client}]"` : client;
  const hop =
    host === undefined
      ? `for=${node};proto=${proto}`
      : `for=${node};host="${host.includes('"') || host.includes('\\') ? host.replace(/["\\]/g, '') : host}";proto=${proto}`;
  headers.push(
    'x-request-id',
    id,
    'forwarded',
    forwarded === undefined ? hop : `${forwarded}, ${hop}`,
    'x-forwarded-for',
    forwardedFor === undefined ? client : `${forwardedFor}, ${client}`,
    'x-forwarded-proto',
    proto,
  );
  if (host !== undefined) headers.push('x-forwarded-host', host);
  return { headers, requestId: id, hasBody };
}

/**
 * The upstream's response headers as a flat array for `writeHead`, minus
 * hop-by-hop ones; `x-request-id` is the gateway's (the same id it sent).
 * A Content-Length is also reported through `framing`; a path-only
 * Location is mapped back to the public path (the upstream's `/users/1` is
 * the client's `/api/users/1`).
 */
export function downstreamResponseHeaders(
  raw: Buffer[],
  requestId: string,
  framing: { contentLength: number },
  publicLocation: (location: string) => string,
): string[] {
  const headers: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    // latin1 maps bytes 1:1, and Node writes header strings back as latin1.
    const name = (raw[i] as Buffer).toString('latin1');
    switch (name.toLowerCase()) {
      case 'content-length': {
        const value = (raw[i + 1] as Buffer).toString('latin1');
        framing.contentLength = Number(value);
        headers.push(name, value);
        break;
      }
      case 'connection':
        connection = (raw[i + 1] as Buffer).toString('latin1');
        break;
      case 'location':
      case 'content-location':
        headers.push(name, publicLocation((raw[i + 1] as Buffer).toString('latin1')));
        break;
      case 'keep-alive':
      case 'proxy-authenticate':
      case 'proxy-authorization':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'transfer-encoding':
      case 'upgrade':
      case 'x-request-id':
        break;
      default:
        headers.push(name, (raw[i + 1] as Buffer).toString('latin1'));
    }
  }
  if (connection !== undefined) dropConnectionListed(headers, connection);
  headers.push('x-request-id', requestId);
  return headers;
}

/** Removes the headers a Connection header lists (besides the usual keep-alive/close). */
function dropConnectionListed(headers: string[], connection: string): void {
  if (connection.length <= 10) {
    const only = connection.toLowerCase();
    if (only === 'keep-alive' || only === 'close') return; // the common case, without splitting
  }
  const listed = new Set<string>();
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') listed.add(name);
  }
  if (listed.size === 0) return;
  let write = 0;
  for (let read = 0; read < headers.length; read += 2) {
    if (listed.has((headers[read] as string).toLowerCase())) continue;
    headers[write] = headers[read] as string;
    headers[write + 1] = headers[read + 1] as string;
    write += 2;
  }
  headers.length = write;
}
