/**
 * The hostile corpus: requests written by hand to break a JSON-over-HTTP/1.1
 * service, each sent as raw bytes. A case builds its request for one target
 * (a service directly, or the gateway in front of it) and says which answers
 * are acceptable. Bodies are valid create requests except for the one
 * hostile part, so a server that ignored that part would create something,
 * and the state check after each case would see it.
 */
import { requestText } from '@flotilla/testing';

export interface Target {
  /** e.g. `users`, `gateway → orders`. */
  name: string;
  port: number;
  /** The collection's path on this target: `/users`, `/api/orders`, … */
  base: string;
  resource: 'users' | 'orders';
  /** An existing item of the collection. */
  id: string;
  /** An existing user (orders are created for one). */
  userId: string;
}

/**
 * What may come back:
 * - `problem`: a 4xx `application/problem+json` (the default);
 * - `refused`: the same, and the server closes the connection (a framing
 *   error: nothing after it can be trusted to start a request);
 * - `timeout`: a 408 problem or no answer, and the connection closed by the
 *   server within its request timeout (the client never finished its request);
 * - `version`: a 505 problem and a closed connection (another HTTP major
 *   version: the only 5xx a request alone may cause).
 */
export type Expectation = 'problem' | 'refused' | 'timeout' | 'version';

export interface HostileCase {
  name: string;
  request(target: Target, marker: string): string | Buffer | Array<string | Buffer>;
  expect?: Expectation;
  /** Only a status in this list will do (e.g. 405 for a method the path lacks). */
  statuses?: number[];
  /** The request is HEAD. */
  head?: boolean;
}

interface BodyParts {
  /** Raw JSON for the case's string field (users' name, an order item's sku). */
  text?: string;
  /** Raw JSON for the case's number field (an order item's quantity; users' name, which is no number). */
  number?: string;
  /** Raw JSON text appended after the last member (`,"x":1`). */
  extra?: string;
}

/** A create request body that is valid but for the parts given. */
export function createBody(target: Target, marker: string, parts: BodyParts = {}): string {
  const text = parts.text ?? `"${marker}"`;
  if (target.resource === 'users') return `{"name":${parts.number ?? text},"email":"${marker}@example.com"${parts.extra ?? ''}}`;
  return `{"userId":"${target.userId}","items":[{"sku":${text},"quantity":${parts.number ?? '1'},"unitPrice":100}],"currency":"EUR"${parts.extra ?? ''}}`;
}

function post(target: Target, body: string | Buffer, headers: string[] = []): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = `POST ${target.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

function get(path: string, headers: string[] = []): string {
  return requestText('GET', path, headers);
}

/** Bytes as they are, not as UTF-8 (a latin1 string is one byte per character). */
function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const DEEP = 100_000;
/** The services' `http.bodyLimitBytes` (the dev default). */
export const BODY_LIMIT = 1_048_576;

export const CASES: HostileCase[] = [
  // ── JSON bodies ──────────────────────────────────────────────────────────
  { name: 'malformed JSON', request: (t, m) => post(t, createBody(t, m).slice(0, -1)) },
  { name: 'JSON that is not an object', request: (t, m) => post(t, `"${m}"`) },
  {
    name: `nested ${DEEP} levels deep`,
    request: (t, m) => post(t, createBody(t, m, { text: `${'['.repeat(DEEP)}${']'.repeat(DEEP)}` })),
  },
  { name: 'a number past the largest double (1e400)', request: (t, m) => post(t, createBody(t, m, { number: '1e400' })) },
  {
    name: 'a 40-digit integer',
    request: (t, m) => post(t, createBody(t, m, { number: '1234567890123456789012345678901234567890' })),
  },
  { name: 'a NUL escape in a string', request: (t, m) => post(t, createBody(t, m, { text: `"${m}\\u0000x"` })) },
  { name: 'a raw NUL byte in a string', request: (t, m) => post(t, createBody(t, m, { text: `"${m}\u0000x"` })) },
  {
    name: 'invalid UTF-8 in a string',
    request: (t, m) => {
      const [before, after] = createBody(t, m).split(m, 2) as [string, string];
      return post(t, Buffer.concat([Buffer.from(before), Buffer.from(m), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(after)]));
    },
  },
  { name: 'an unpaired surrogate escape', request: (t, m) => post(t, createBody(t, m, { text: `"\\ud800${m}"` })) },
  {
    name: 'a member named twice',
    request: (t, m) => post(t, createBody(t, m, { extra: t.resource === 'users' ? `,"email":"${m}-2@example.com"` : ',"currency":"USD"' })),
  },
  {
    name: 'a member named twice, once escaped',
    request: (t, m) =>
      post(t, createBody(t, m, { extra: t.resource === 'users' ? `,"\\u0065mail":"${m}-2@example.com"` : ',"\\u0063urrency":"USD"' })),
  },
  { name: 'a __proto__ member', request: (t, m) => post(t, createBody(t, m, { extra: ',"__proto__":{"admin":true}' })) },
  { name: 'a __proto__ member, escaped', request: (t, m) => post(t, createBody(t, m, { extra: ',"\\u005f_proto__":{"admin":true}' })) },
  {
    name: 'a constructor.prototype member',
    request: (t, m) => post(t, createBody(t, m, { extra: ',"constructor":{"prototype":{"admin":true}}' })),
  },
  { name: 'a prototype member', request: (t, m) => post(t, createBody(t, m, { extra: ',"prototype":{"admin":true}' })) },
  {
    name: 'a body over the limit (declared by Content-Length)',
    request: (t, m) => {
      const body = createBody(t, m, { extra: `,"pad":"${'x'.repeat(BODY_LIMIT)}"` });
      return post(t, body);
    },
    statuses: [413],
  },
  {
    name: 'a body over the limit (chunked)',
    request: (t, m) => {
      const body = createBody(t, m, { extra: `,"pad":"${'x'.repeat(BODY_LIMIT)}"` });
      const head = `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      return [head, `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`];
    },
    statuses: [413],
  },
  {
    name: 'a body eight times the limit (declared by Content-Length)',
    request: (t, m) => post(t, createBody(t, m, { extra: `,"pad":"${'x'.repeat(8 * BODY_LIMIT)}"` })),
    statuses: [413],
  },
  {
    name: 'a body eight times the limit (chunked)',
    request: (t, m) => {
      const body = createBody(t, m, { extra: `,"pad":"${'x'.repeat(8 * BODY_LIMIT)}"` });
      const head = `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      return [head, `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`];
    },
    statuses: [413],
  },
  {
    name: 'a slow body: Content-Length larger than what is sent, then silence',
    request: (t, m) => {
      const body = createBody(t, m);
      const head = `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 100}\r\n\r\n`;
      return head + body;
    },
    expect: 'timeout',
  },

  // ── Query strings ────────────────────────────────────────────────────────
  { name: 'a __proto__ query parameter', request: (t, m) => get(`${t.base}?__proto__[admin]=${m}`) },
  { name: 'a constructor[prototype] query parameter', request: (t, m) => get(`${t.base}?constructor[prototype][admin]=${m}`) },
  { name: 'a prototype query parameter', request: (t, m) => get(`${t.base}?prototype=${m}`) },
  { name: 'a percent-encoded __proto__ query parameter', request: (t, m) => get(`${t.base}?%5F%5Fproto%5F%5F=${m}`) },
  { name: 'a NUL in the query', request: (t, m) => get(`${t.base}?cursor=${m}%00`) },
  { name: 'invalid UTF-8 in the query', request: (t, m) => get(`${t.base}?cursor=${m}%ff%fe`) },

  // ── Paths ────────────────────────────────────────────────────────────────
  { name: 'a NUL (%00) in the path', request: (t, m) => get(`${t.base}/${m}%00`) },
  { name: 'a raw NUL byte in the path', request: (t, m) => bytes(get(`${t.base}/${m}\0x`)), expect: 'refused' },
  { name: 'invalid UTF-8 (%ff%fe) in the path', request: (t, m) => get(`${t.base}/${m}%ff%fe`) },
  { name: 'raw bytes that are not UTF-8 in the path', request: (t, m) => bytes(get(`${t.base}/${m}\xff\xfe`)), expect: 'refused' },
  { name: 'a 10 000-character path parameter', request: (t) => get(`${t.base}/${'a'.repeat(10_000)}`) },
  { name: '..%2f in a path parameter', request: (t) => get(`${t.base}/..%2f..%2fadmin%2fconfig`) },
  { name: '%2e%2e segments', request: (t) => get(`${t.base}/%2e%2e/%2e%2e/admin/config`) },
  { name: '.. segments', request: (t) => get(`${t.base}/../../admin/config`) },

  // ── Headers ──────────────────────────────────────────────────────────────
  {
    name: 'a CR in a header value (header injection)',
    request: (t, m) => bytes(get(`${t.base}/${t.id}`, [`X-Note: ${m}\rX-Injected: 1`])),
    expect: 'refused',
  },
  {
    name: 'an LF in a header value (header injection)',
    request: (t, m) => bytes(get(`${t.base}/${t.id}`, [`X-Note: ${m}\nX-Injected: 1`])),
    expect: 'refused',
  },
  {
    name: 'a folded header line',
    request: (t, m) => bytes(get(`${t.base}/${t.id}`, [`X-Note: ${m}`, ' X-Injected: 1'])),
    expect: 'refused',
  },
  { name: 'a header section over 16 KiB', request: (t) => get(`${t.base}/${t.id}`, [`X-Big: ${'a'.repeat(17_000)}`]), expect: 'refused' },
  { name: 'no Host header', request: (t) => `GET ${t.base}/${t.id} HTTP/1.1\r\n\r\n`, expect: 'refused' },
  { name: 'two Host headers', request: (t) => `GET ${t.base}/${t.id} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`, expect: 'refused' },
  { name: 'an Expect the server cannot meet', request: (t) => get(`${t.base}/${t.id}`, ['Expect: teapot']), statuses: [417] },

  // ── Request smuggling shapes ─────────────────────────────────────────────
  {
    name: 'Content-Length and Transfer-Encoding: chunked together',
    request: (t, m) => {
      const body = createBody(t, m);
      return `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    },
    expect: 'refused',
  },
  {
    name: 'two Content-Lengths',
    request: (t, m) => {
      const body = createBody(t, m);
      return `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Length: 4\r\n\r\n${body}`;
    },
    expect: 'refused',
  },
  {
    name: 'Transfer-Encoding: chunked, identity',
    request: (t, m) => {
      const body = createBody(t, m);
      return `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    },
    expect: 'refused',
  },
  {
    name: 'an obfuscated "Transfer-Encoding : chunked"',
    request: (t, m) => {
      const body = createBody(t, m);
      return `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nTransfer-Encoding : chunked\r\n\r\n${body}`;
    },
    expect: 'refused',
  },
  {
    name: 'a chunk size that is not hex',
    request: (t, m) => {
      const body = createBody(t, m);
      return `POST ${t.base} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`;
    },
    expect: 'refused',
  },

  // ── Methods and versions ─────────────────────────────────────────────────
  ...['QUERY', 'PATCH', 'TRACE', 'PROPFIND', 'MKCOL', 'OPTIONS'].map(
    (method): HostileCase => ({
      name: `${method} on an item`,
      request: (t) => requestText(method, `${t.base}/${t.id}`),
      statuses: [405],
    }),
  ),
  {
    name: 'PUT on the collection',
    request: (t, m) => requestText('PUT', t.base, ['Content-Type: application/json'], createBody(t, m)),
    statuses: [405],
  },
  {
    name: 'QUERY with a body on the collection',
    request: (t, m) => requestText('QUERY', t.base, ['Content-Type: application/json'], createBody(t, m)),
    statuses: [405],
  },
  {
    name: 'CONNECT to an item',
    request: (t) => `CONNECT ${t.base}/${t.id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    expect: 'refused',
    // The gateway's Node server hands CONNECT over before its routed paths are consulted: there, the path is unknown.
    statuses: [404, 405],
  },
  { name: 'a method the parser does not know', request: (t) => requestText('FROBNICATE', `${t.base}/${t.id}`), expect: 'refused' },
  { name: 'a request line that is not HTTP', request: () => 'HELLO\r\n\r\n', expect: 'refused' },
  { name: 'HTTP/3.0', request: (t) => `GET ${t.base}/${t.id} HTTP/3.0\r\nHost: 127.0.0.1\r\n\r\n`, expect: 'version' },
];
