/**
 * Promise-style handlers for generated service interfaces: write
 * `sayHello: unary(async (request) => ({ message: ... }))` instead of the
 * callback form. Errors thrown or rejected become gRPC statuses through the
 * server's error mapping.
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';

export function unary<Request, Response>(
  handler: (request: Request, call: ServerUnaryCall<Request, Response>) => Promise<Response> | Response,
): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(error as Error, null),
      );
  };
}

/**
 * A server-streaming handler from an (async) iterable: each item is written
 * with back-pressure, the call ends when the iterable does, and iteration
 * stops (running the generator's `finally`) when the client goes away.
 */
export function serverStreaming<Request, Response>(
  handler: (request: Request, call: ServerWritableStream<Request, Response>) => AsyncIterable<Response> | Iterable<Response>,
): handleServerStreamingCall<Request, Response> {
  return (call) => {
    void (async () => {
      try {
        for await (const item of handler(call.request, call)) {
          if (call.cancelled || call.destroyed) return;
          if (!call.write(item)) await writable(call);
        }
        if (!call.cancelled) call.end();
      } catch (error) {
        call.emit('error', error);
      }
    })();
  };
}

/** Resolves when the stream drains, or when it closes or is cancelled (then nothing more is written). */
function writable(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('close', done);
      call.off('cancelled', done);
      resolve();
    };
    call.once('drain', done);
    call.once('close', done);
    call.once('cancelled', done);
  });
}
