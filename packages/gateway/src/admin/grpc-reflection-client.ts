/**
 * Asks a gRPC server which services it serves, by server reflection
 * (`grpc.reflection.v1.ServerReflection/ServerReflectionInfo`, then
 * `v1alpha` when v1 is not served): one `list_services` request on one
 * HTTP/2 stream, over cleartext HTTP/2 as the kit's servers listen. The two
 * messages involved are written and read by hand (field numbers from
 * grpc/reflection/v1/reflection.proto): the gateway has no other use for a
 * gRPC stack.
 */
import { connect, constants } from 'node:http2';

const REFLECTION_PATHS = [
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
];
const UNIMPLEMENTED = 12;
const MAX_ANSWER_BYTES = 1024 * 1024;

export class ReflectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReflectionError';
  }
}

/** The service names `target` (`host:port`) lists, sorted; ReflectionError when it cannot tell. */
export async function listGrpcServices(target: string, timeoutMs: number): Promise<string[]> {
  const session = connect(`http://${target}`);
  session.on('error', () => undefined); // reported through the stream below
  const timer = setTimeout(() => session.destroy(new ReflectionError(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    for (const path of REFLECTION_PATHS) {
      const answer = await call(session, path);
      if (answer.status === UNIMPLEMENTED && path !== REFLECTION_PATHS[REFLECTION_PATHS.length - 1]) continue;
      if (answer.status !== 0)
        throw new ReflectionError(`reflection answered gRPC status ${answer.status}${answer.message ? `: ${answer.message}` : ''}`);
      return servicesIn(answer.body);
    }
    throw new ReflectionError('reflection is not served');
  } finally {
    clearTimeout(timer);
    session.close();
  }
}

interface CallAnswer {
  status: number;
  message: string;
  body: Buffer;
}

function call(session: ReturnType<typeof connect>, path: string): Promise<CallAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let status: number | undefined;
    let message = '';
    const statusFrom = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] !== undefined) status = Number(headers['grpc-status']);
      if (typeof headers['grpc-message'] === 'string') message = decodeURIComponent(headers['grpc-message']);
    };
    stream.on('response', (headers) => statusFrom(headers));
    stream.on('trailers', (headers) => statusFrom(headers));
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) stream.close(constants.NGHTTP2_CANCEL);
      else chunks.push(chunk);
    });
    stream.on('error', (error) => reject(new ReflectionError(error.message)));
    session.once('close', () => reject(new ReflectionError('the connection closed')));
    stream.on('end', () => {
      if (size > MAX_ANSWER_BYTES) reject(new ReflectionError('the answer is too large'));
      else resolve({ status: status ?? 0, message, body: firstMessage(Buffer.concat(chunks)) });
    });
    // ServerReflectionRequest { list_services = 7: "*" }, in one length-prefixed gRPC message; then half-close.
    const request = Buffer.from([0x3a, 0x01, 0x2a]);
    const frame = Buffer.alloc(5 + request.length);
    frame.writeUInt32BE(request.length, 1);
    request.copy(frame, 5);
    stream.end(frame);
  });
}

/** The payload of the first length-prefixed message (uncompressed), or empty. */
function firstMessage(data: Buffer): Buffer {
  if (data.length < 5) return Buffer.alloc(0);
  if (data[0] !== 0) throw new ReflectionError('the answer is compressed');
  const length = data.readUInt32BE(1);
  return data.subarray(5, 5 + length);
}

/** ServerReflectionResponse → list_services_response (6) → service (1, repeated) → name (1); error_response (7) is an error. */
export function servicesIn(message: Buffer): string[] {
  const names: string[] = [];
  for (const [field, value] of lengthDelimited(message)) {
    if (field === 7) throw new ReflectionError(`reflection refused: ${errorMessage(value)}`);
    if (field !== 6) continue;
    for (const [listField, service] of lengthDelimited(value)) {
      if (listField !== 1) continue;
      for (const [nameField, name] of lengthDelimited(service)) if (nameField === 1) names.push(name.toString('utf8'));
    }
  }
  return names.sort();
}

function errorMessage(errorResponse: Buffer): string {
  for (const [field, value] of lengthDelimited(errorResponse)) if (field === 2) return value.toString('utf8');
  return 'no reason given';
}

/** The length-delimited fields of a message (others skipped). */
function* lengthDelimited(message: Buffer): Generator<[number, Buffer]> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (at >= message.length) throw new ReflectionError('a truncated message');
      const byte = message[at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
      if (shift > 63) throw new ReflectionError('a malformed varint');
    }
  };
  while (at < message.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const length = varint();
      if (at + length > message.length) throw new ReflectionError('a truncated message');
      const value = message.subarray(at, at + length);
      at += length;
      yield [field, value];
    } else throw new ReflectionError(`an unexpected wire type ${wireType}`);
  }
}
