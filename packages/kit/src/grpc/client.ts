/**
 * createGrpcClient(): a client for a generated service, found by service name
 * (not address), on a channel shared per target, with the outbound
 * interceptor (deadline, cancellation, request id) and a promise API whose
 * errors are FlotillaErrors.
 *
 *   const users = createGrpcClient(UserServiceClient, 'users', { resolve: (name) => targets[name]! });
 *   const { user } = await users.getUser({ id });          // rejects with NotFoundError, ...
 *   for await (const { user } of users.listUsers({})) ...  // server streaming
 *
 * The resolver runs once, when the client is made; a discovery layer can
 * later supply a resolver backed by the registry.
 */
import {
  Channel,
  credentials as grpcCredentials,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type Interceptor,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { createOutboundInterceptor } from './client-interceptors.js';
import { toFlotillaError } from './error-mapping.js';

/** One channel (one HTTP/2 connection set) per target, shared by every client of that target. */
export class ChannelPool {
  private readonly channels = new Map<string, Channel>();
  private readonly credentials: ChannelCredentials;
  private readonly channelOptions: ChannelOptions;

  constructor(options: { credentials?: ChannelCredentials; channelOptions?: ChannelOptions } = {}) {
    this.credentials = options.credentials ?? grpcCredentials.createInsecure();
    this.channelOptions = options.channelOptions ?? {};
  }

  /** The channel for `target` ("host:port" or any grpc-js target), created on first use. */
  get(target: string): Channel {
    let channel = this.channels.get(target);
    if (channel === undefined) {
      channel = new Channel(target, this.credentials, this.channelOptions);
      this.channels.set(target, channel);
    }
    return channel;
  }

  get size(): number {
    return this.channels.size;
  }

  /** Closes every channel; in-flight calls on them fail with CANCELLED/UNAVAILABLE. The pool stays usable. */
  closeAll(): void {
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }
}

/** The pool used when a client is created without one. */
export const defaultChannelPool = new ChannelPool();

/** Closes every channel of the default pool (at service shutdown). */
export function closeAll(): void {
  defaultChannelPool.closeAll();
}

export interface GrpcCallOptions {
  /** Absolute deadline; the caller's RequestContext deadline still caps it. */
  deadline?: Date | number;
  /** Relative deadline, used when `deadline` is not given. */
  timeoutMs?: number;
  metadata?: Metadata;
  /** Cancels the call (it then fails with an `unavailable` FlotillaError). */
  signal?: AbortSignal;
}

export type UnaryMethod<Request, Response> = (request: Request, options?: GrpcCallOptions) => Promise<Response>;
export type ServerStreamingMethod<Request, Response> = (request: Request, options?: GrpcCallOptions) => AsyncIterable<Response>;

/** The promise API of a generated client type: unary methods return promises, server-streaming ones async iterables. */
// Streaming is tested first: a ClientReadableStream is structurally also a ClientUnaryCall.
export type PromiseClient<C> = {
  [K in Exclude<keyof C, keyof Client>]: C[K] extends (request: infer Request, metadata?: Metadata, options?: Partial<CallOptions>) => ClientReadableStream<infer Response>
    ? ServerStreamingMethod<Request, Response>
    : C[K] extends (
          request: infer Request,
          metadata: Metadata,
          options: Partial<CallOptions>,
          callback: (error: ServiceError | null, response: infer Response) => void,
        ) => ClientUnaryCall
      ? UnaryMethod<Request, Response>
      : never;
};

export type GrpcClient<C> = PromiseClient<C> & {
  /** The generated callback-style client (same channel and interceptors; errors are raw ServiceErrors). Do not close it: the channel is shared. */
  readonly raw: C;
  /** The target the service name resolved to. */
  readonly target: string;
};

/** What ts-proto generates for `outputServices=grpc-js`, e.g. `UserServiceClient`. */
export interface GeneratedClientConstructor<C extends Client> {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): C;
  service: ServiceDefinition;
}

export interface GrpcClientOptions {
  /** Service name -> "host:port". A static map today; the discovery layer supplies one later. */
  resolve: (serviceName: string) => string;
  pool?: ChannelPool;
  /** Deadline for calls that set none (the caller's deadline still applies). */
  defaultTimeoutMs?: number;
  /** Debug line per call. */
  logger?: Logger;
  /** Extra interceptors, run after the kit's. */
  interceptors?: Interceptor[];
}

function callOptionsFrom(options: GrpcCallOptions): Partial<CallOptions> {
  if (options.deadline !== undefined) return { deadline: options.deadline };
  if (options.timeoutMs !== undefined) return { deadline: Date.now() + options.timeoutMs };
  return {};
}

type RawUnary = (request: unknown, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: unknown) => void) => ClientUnaryCall;
type RawServerStreaming = (request: unknown, metadata: Metadata, options: Partial<CallOptions>) => ClientReadableStream<unknown>;

function unaryMethod(raw: Client, name: string): UnaryMethod<unknown, unknown> {
  const method = (raw as unknown as Record<string, RawUnary>)[name] as RawUnary;
  return (request, options = {}) =>
    new Promise((resolve, reject) => {
      const call = method.call(raw, request, options.metadata ?? new Metadata(), callOptionsFrom(options), (error, response) => {
        options.signal?.removeEventListener('abort', cancel);
        if (error !== null) reject(toFlotillaError(error));
        else resolve(response);
      });
      const cancel = (): void => call.cancel();
      if (options.signal?.aborted === true) call.cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
    });
}

function serverStreamingMethod(raw: Client, name: string): ServerStreamingMethod<unknown, unknown> {
  const method = (raw as unknown as Record<string, RawServerStreaming>)[name] as RawServerStreaming;
  return (request, options = {}) => ({
    async *[Symbol.asyncIterator]() {
      const stream = method.call(raw, request, options.metadata ?? new Metadata(), callOptionsFrom(options));
      let ended = false;
      stream.on('status', () => {
        ended = true;
      });
      const cancel = (): void => stream.cancel();
      if (options.signal?.aborted === true) stream.cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
      try {
        for await (const item of stream) yield item;
      } catch (error) {
        throw toFlotillaError(error);
      } finally {
        options.signal?.removeEventListener('abort', cancel);
        if (!ended) stream.cancel(); // the consumer stopped early: tell the server
      }
    },
  });
}

export function createGrpcClient<C extends Client>(
  ClientConstructor: GeneratedClientConstructor<C>,
  serviceName: string,
  options: GrpcClientOptions,
): GrpcClient<C> {
  const target = options.resolve(serviceName);
  const pool = options.pool ?? defaultChannelPool;
  const raw = new ClientConstructor(target, grpcCredentials.createInsecure(), {
    channelOverride: pool.get(target),
    interceptors: [
      createOutboundInterceptor({
        ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      }),
      ...(options.interceptors ?? []),
    ],
  });
  const client: Record<string, unknown> = { raw, target };
  for (const [name, method] of Object.entries(ClientConstructor.service)) {
    if (method.requestStream) continue; // client and bidi streaming: use `raw`
    client[name] = method.responseStream ? serverStreamingMethod(raw, name) : unaryMethod(raw, name);
  }
  return client as GrpcClient<C>;
}
