// Calls that carry whatever bytes and headers a test wants: grpc-js with
// identity serializers (any message bytes, any metadata, any deadline), and
// plain HTTP/2 for what grpc-js would not send (a grpc-timeout of 0).
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;

export interface RawOutcome {
  code: grpc.status;
  details: string;
  response?: Buffer;
  /** Trailing metadata (or the response headers of a trailers-only answer). */
  metadata?: grpc.Metadata;
}

export interface RawCallOptions {
  metadata?: grpc.Metadata;
  deadline?: grpc.Deadline;
}

/** One unary call of `path` with `message` as its raw request bytes. */
export function rawUnary(client: grpc.Client, path: string, message: Buffer, options: RawCallOptions = {}): Promise<RawOutcome> {
  const callOptions: grpc.CallOptions = options.deadline === undefined ? {} : { deadline: options.deadline };
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, message, options.metadata ?? new grpc.Metadata(), callOptions, (error, response) => {
      if (error) resolve({ code: error.code, details: error.details, metadata: error.metadata });
      else resolve({ code: grpc.status.OK, details: 'OK', ...(response === undefined ? {} : { response }) });
    });
  });
}

/** A client-streaming call sending `messages` (raw bytes) then half-closing. */
export function rawClientStream(client: grpc.Client, path: string, messages: Buffer[]): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(path, identity, identity, new grpc.Metadata(), {}, (error, response) => {
      if (error) resolve({ code: error.code, details: error.details });
      else resolve({ code: grpc.status.OK, details: 'OK', ...(response === undefined ? {} : { response }) });
    });
    for (const message of messages) call.write(message);
    call.end();
  });
}

/** A bidi call sending `messages` then half-closing; resolves with the status and what came back. */
export function rawBidi(client: grpc.Client, path: string, messages: Buffer[]): Promise<RawOutcome & { responses: Buffer[] }> {
  return new Promise((resolve) => {
    const responses: Buffer[] = [];
    const call = client.makeBidiStreamRequest(path, identity, identity, new grpc.Metadata(), {});
    call.on('data', (response: Buffer) => responses.push(response));
    call.on('error', (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details, responses }));
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) resolve({ code: status.code, details: status.details, responses });
    });
    for (const message of messages) call.write(message);
    call.end();
  });
}

/** A gRPC message frame: uncompressed flag, 4-byte big-endian length, bytes. */
export function frame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

export interface Http2Outcome {
  /** grpc-status from the trailers (or a trailers-only response); undefined if the stream was reset. */
  grpcStatus: number | undefined;
  grpcMessage: string;
  /** RST_STREAM code when the stream was reset (0 when it ended normally). */
  rstCode: number;
}

/** One POST of `message` (framed) to `path` over a connection of its own, with the given extra headers. */
export function http2Call(target: string, path: string, message: Buffer, headers: Record<string, string> = {}): Promise<Http2Outcome> {
  const session = http2.connect(`http://${target}`);
  session.on('error', () => {}); // the outcome below says what happened
  return new Promise((resolve) => {
    let grpcStatus: number | undefined;
    let grpcMessage = '';
    const read = (fields: http2.IncomingHttpHeaders): void => {
      if (fields['grpc-status'] !== undefined) grpcStatus = Number(fields['grpc-status']);
      if (typeof fields['grpc-message'] === 'string') grpcMessage = decodeURIComponent(fields['grpc-message']);
    };
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', () => {});
    stream.on('error', () => {});
    stream.on('close', () => {
      session.close();
      resolve({ grpcStatus, grpcMessage, rstCode: stream.rstCode ?? 0 });
    });
    stream.end(frame(message));
  });
}
