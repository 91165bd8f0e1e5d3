// The webhook's HTTPS server: POST an AdmissionReview v1 to a handler's path, get one back.
// The certificate can be swapped while serving; connections made with an older one are
// closed after their next answer, so the API server's following call meets the new one.
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { AdmissionMetrics } from './metrics.ts';
import { type AdmissionRequest, type AdmissionReview, MalformedReviewError, readReview } from './review.ts';
import type { CertifiedKey } from './x509.ts';

export type ReviewHandler = (request: AdmissionRequest) => Promise<AdmissionReview>;

export interface AdmissionServerOptions {
  host: string;
  /** 0 = any free port */
  port: number;
  /** by URL path, e.g. /validate/microservices */
  handlers: Record<string, ReviewHandler>;
  log: Logger;
  metrics: AdmissionMetrics;
}

/** An AdmissionReview holds at most two objects of the API server's 3 MiB limit. */
const MAX_BODY_BYTES = 8 << 20;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

export class AdmissionServer {
  readonly port: number;
  private readonly server: Server;
  private serial: string;

  private constructor(server: Server, serial: string) {
    this.server = server;
    this.serial = serial;
    this.port = (server.address() as AddressInfo).port;
  }

  static async start(options: AdmissionServerOptions, certificate: CertifiedKey): Promise<AdmissionServer> {
    let self: AdmissionServer | undefined;
    const server = createServer({ cert: certificate.certificate, key: certificate.key, minVersion: 'TLSv1.2' }, (req, res) => {
      self?.handle(req, res, options).catch((error: unknown) => options.log.error({ err: error }, 'admission response failed'));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    self = new AdmissionServer(server, new X509Certificate(certificate.certificate).serialNumber);
    return self;
  }

  /** Serves `certificate` to new connections from now on. */
  useCertificate(certificate: CertifiedKey): void {
    const serial = new X509Certificate(certificate.certificate).serialNumber;
    if (serial === this.serial) return;
    this.server.setSecureContext({ cert: certificate.certificate, key: certificate.key, minVersion: 'TLSv1.2' });
    // Open connections are not cut (a request could be on its way): each is told to close
    // with its next answer, and the client's next connection gets the new certificate.
    this.serial = serial;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, options: AdmissionServerOptions): Promise<void> {
    const servedWith = (req.socket as TLSSocket).getCertificate?.();
    const serial = servedWith && 'serialNumber' in servedWith ? servedWith.serialNumber : undefined;
    // Kept-alive connections would go on with the old certificate: end them after this answer.
    if (serial !== this.serial) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = options.handlers[path];
    try {
      if (!handler) throw new HttpError(404, `no webhook at ${path}`);
      if (req.method !== 'POST') throw new HttpError(405, 'AdmissionReviews are POSTed');
      const request = readReview(await readBody(req));
      const review = await handler(request);
      const allowed = review.response?.allowed ?? false;
      options.metrics.reviews.inc({ resource: request.resource?.resource ?? '', operation: request.operation, allowed: String(allowed) });
      options.log[allowed ? 'debug' : 'info'](
        {
          'event.action': 'admission-review',
          'event.outcome': allowed ? 'success' : 'failure',
          'tls.server.x509.serial_number': serial,
          uid: request.uid,
          operation: request.operation,
          namespace: request.namespace,
          name: request.name,
          'error.message': allowed ? undefined : review.response?.status?.message,
        },
        allowed ? 'admission allowed' : 'admission denied',
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(review));
    } catch (error) {
      const status = error instanceof HttpError ? error.status : error instanceof MalformedReviewError ? 400 : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (status === 500) options.log.error({ err: error }, 'admission review failed');
      else options.log.warn({ 'http.response.status_code': status, 'url.path': path }, `admission request refused: ${message}`);
      options.metrics.errors.inc({ status: String(status) });
      if (status === 405) res.setHeader('allow', 'POST');
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
    }
  }

  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes what is left. */
  async stop(graceMs = 5_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const force = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(force);
  }
}
