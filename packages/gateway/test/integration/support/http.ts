/** Small HTTP helpers for gateway tests: raw requests with any header, and throwaway upstream servers. */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names exactly as received, lower-cased. */
  headerNames: string[];
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer | Readable;
}

/** One request on its own connection (node:http lets tests send hop-by-hop headers fetch refuses). */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Not `new URL(url)`: WHATWG parsing would resolve dot segments the tests want to send as-is.
    const origin = /^http:\/\/([^/:]+):(\d+)(\/.*)?$/.exec(url);
    if (origin === null) throw new Error(`not an http URL: ${url}`);
    const target = { host: origin[1], port: Number(origin[2]), path: origin[3] ?? '/' };
    const req = request({ ...target, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headerNames: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerNames.push((res.rawHeaders[i] as string).toLowerCase());
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          headerNames,
          body,
          json: <T>() => JSON.parse(body) as T,
        });
      });
    });
    req.on('error', reject);
    const body = options.body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body.pipe(req);
    else req.end(body);
  });
}

export interface Upstream {
  url: string;
  server: Server;
  /** Requests seen so far: method, url and headers as the upstream received them. */
  seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; rawHeaderNames: string[] }>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startUpstream(handler: Handler): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = createServer((req, res) => {
    const rawHeaderNames: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaderNames.push((req.rawHeaders[i] as string).toLowerCase());
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaderNames });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON describing what arrived: method, url, headers, body. */
export const echo: Handler = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const status = Number(req.headers['x-want-status'] ?? 200);
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    if (status === 204 || status === 304) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
};

export function json(res: ServerResponse, status: number, value: unknown, type = 'application/json'): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
