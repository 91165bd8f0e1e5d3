/**
 * Refuses bad input before any handler sees it, with a proper status:
 *  - request metadata over the size limit → RESOURCE_EXHAUSTED (grpc-js has
 *    no metadata limit of its own; Node's HTTP/2 layer only caps the number
 *    of header fields and what its HPACK decoder can hold);
 *  - a request message that does not decode → INVALID_ARGUMENT, for every
 *    kind of method (grpc-js would answer INTERNAL). The deserializers of the
 *    server's methods are made lenient (`lenientDefinition`): on bad bytes they
 *    return a marker instead of throwing, and the interceptor turns the marker
 *    into the status, so the handler never runs.
 */
import {
  type MethodDefinition,
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptor,
  type ServiceDefinition,
  status as Status,
} from '@grpc/grpc-js';

export const MALFORMED_REQUEST_MESSAGE = 'The request message could not be decoded';
/** Room for request ids, trace context and tokens many times over; counted as HTTP/2 does (name + value + 32 per entry). */
export const DEFAULT_MAX_METADATA_BYTES = 16 * 1024;

/** What a lenient deserializer returns for bytes that are not a valid message. */
class MalformedRequest {}

function lenientMethod(method: MethodDefinition<unknown, unknown>): MethodDefinition<unknown, unknown> {
  const decode = method.requestDeserialize;
  return {
    ...method,
    requestDeserialize: (bytes: Buffer) => {
      try {
        return decode(bytes);
      } catch {
        return new MalformedRequest();
      }
    },
  };
}

/** The same service with deserializers that never throw (the guard interceptor answers for them). */
export function lenientDefinition(definition: ServiceDefinition): ServiceDefinition {
  const lenient: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) lenient[name] = lenientMethod(method);
  return lenient as ServiceDefinition;
}

/** The size of the metadata as HTTP/2 counts a header list: name + value octets + 32 per entry. */
export function metadataSize(metadata: Metadata): number {
  let size = 0;
  for (const [name, value] of Object.entries(metadata.toHttp2Headers())) {
    for (const one of Array.isArray(value) ? value : [value]) size += name.length + Buffer.byteLength(String(one)) + 32;
  }
  return size;
}

export interface RequestGuardOptions {
  /** Largest request metadata accepted, in bytes (default 16 KiB). */
  maxMetadataBytes?: number;
}

export function createRequestGuardInterceptor(options: RequestGuardOptions = {}): ServerInterceptor {
  const maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  return (_method, call) => {
    let refused = false;
    const refuse = (code: Status, details: string): void => {
      refused = true;
      guarded.sendStatus({ code, details, metadata: new Metadata() });
    };
    const guarded: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const size = metadataSize(metadata);
            if (size > maxMetadataBytes) {
              refuse(Status.RESOURCE_EXHAUSTED, `Request metadata of ${size} bytes is over the limit of ${maxMetadataBytes}`);
              return;
            }
            nextMetadata(metadata);
          },
          onReceiveMessage: (message, nextMessage) => {
            if (refused) return;
            if (message instanceof MalformedRequest) {
              refuse(Status.INVALID_ARGUMENT, MALFORMED_REQUEST_MESSAGE);
              return;
            }
            nextMessage(message);
          },
          onReceiveHalfClose: (nextHalfClose) => {
            if (!refused) nextHalfClose();
          },
        }),
    });
    return guarded;
  };
}
