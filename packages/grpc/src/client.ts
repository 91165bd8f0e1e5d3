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
 * The resolver runs once, when the client is made. It returns either a fixed
 * "host:port" or a GrpcTargetPicker (e.g. `discoveryResolver` from
 * @flotilla/kit/discovery): the picker then chooses an instance per call and
 * hears how the call went, so the balancer can steer and eject.
 */
import {
  Channel,
  credentials as grpcCredentials,
  Metadata,
  status as GrpcStatus,
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
import { createOutboundInterceptor } from './client-interceptors.ts';
import { toFlotillaError } from './error-mapping.ts';
import { createClientTelemetryInterceptor } from '@flotilla/telemetry';
import { currentTelemetry, type ServiceTelemetry } from '@flotilla/telemetry';

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
  [K in Exclude<keyof C, keyof Client>]: C[K] extends (
    request: infer Request,
    metadata?: Metadata,
    options?: Partial<CallOptions>,
  ) => ClientReadableStream<infer Response>
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
  /**
   * The generated callback-style client (same channel and interceptors; errors are raw ServiceErrors). Do not close it: the channel is shared.
   * With a picker, each read picks an instance without reporting back to the balancer.
   */
  readonly raw: C;
  /** The target the service name resolved to (with a picker: `discovery:///<service>`). */
  readonly target: string;
};

/** One call's instance, from a GrpcTargetPicker; `done` is called once when the call ends. */
export interface GrpcTargetLease {
  target: string;
  done(outcome: { ok: boolean; latencyMs?: number }): void;
}

/** Chooses a target per call (service discovery + balancing). `pick` throws (e.g. UnavailableError) when none is available. */
export interface GrpcTargetPicker {
  pick(): GrpcTargetLease;
  /** Awaited before each call until it settles (first instance listing loaded, or given up). */
  ready?: Promise<void>;
}

/** Codes that say something about the instance rather than the request: they count as failures for the balancer. */
const INSTANCE_FAILURE_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNKNOWN,
  GrpcStatus.DATA_LOSS,
]);

function outcomeOf(error: unknown): { ok: boolean } {
  const code = (error as { code?: unknown } | null)?.code;
  return { ok: error === null || error === undefined || typeof code !== 'number' || !INSTANCE_FAILURE_CODES.has(code) };
}

/** What ts-proto generates for `outputServices=grpc-js`, e.g. `UserServiceClient`. */
export interface GeneratedClientConstructor<C extends Client> {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): C;
  service: ServiceDefinition;
}

export interface GrpcClientOptions {
  /** Service name -> "host:port" (static), or a picker that chooses an instance per call (discovery). */
  resolve: (serviceName: string) => string | GrpcTargetPicker;
  pool?: ChannelPool;
  /** Deadline for calls that set none (the caller's deadline still applies). */
  defaultTimeoutMs?: number;
  /** Debug line per call. */
  logger?: Logger;
  /** Extra interceptors, run after the kit's. */
  interceptors?: Interceptor[];
  /**
   * Client metrics, spans with `traceparent` injection and the upstream's anomaly detector.
   * Default: the telemetry of the service being set up (clients made in `setup`), else of the
   * last service started in this process; `null` turns it off.
   */
  telemetry?: ServiceTelemetry | null;
}

function callOptionsFrom(options: GrpcCallOptions): Partial<CallOptions> {
  if (options.deadline !== undefined) return { deadline: options.deadline };
  if (options.timeoutMs !== undefined) return { deadline: Date.now() + options.timeoutMs };
  return {};
}

type RawUnary = (
  request: unknown,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: unknown) => void,
) => ClientUnaryCall;
type RawServerStreaming = (request: unknown, metadata: Metadata, options: Partial<CallOptions>) => ClientReadableStream<unknown>;

/** The raw client for one call, and how to report the call's end to whoever picked its target. */
type RawForCall = () => { raw: Client; done: (error: unknown) => void } | Promise<{ raw: Client; done: (error: unknown) => void }>;

function unaryMethod(rawForCall: RawForCall, name: string): UnaryMethod<unknown, unknown> {
  return async (request, options = {}) => {
    const { raw, done } = await rawForCall();
    const method = (raw as unknown as Record<string, RawUnary>)[name] as RawUnary;
    return new Promise((resolve, reject) => {
      const call = method.call(raw, request, options.metadata ?? new Metadata(), callOptionsFrom(options), (error, response) => {
        options.signal?.removeEventListener('abort', cancel);
        done(error);
        if (error !== null) reject(toFlotillaError(error));
        else resolve(response);
      });
      const cancel = (): void => call.cancel();
      if (options.signal?.aborted === true) call.cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
    });
  };
}

function serverStreamingMethod(rawForCall: RawForCall, name: string): ServerStreamingMethod<unknown, unknown> {
  return (request, options = {}) => ({
    async *[Symbol.asyncIterator]() {
      const { raw, done } = await rawForCall();
      const method = (raw as unknown as Record<string, RawServerStreaming>)[name] as RawServerStreaming;
      const stream = method.call(raw, request, options.metadata ?? new Metadata(), callOptionsFrom(options));
      let ended = false;
      stream.on('status', (status: { code: number }) => {
        ended = true;
        done(status.code === GrpcStatus.OK ? null : status);
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
        if (!ended) {
          stream.cancel(); // the consumer stopped early: tell the server
          done(null);
        }
      }
    },
  });
}

export function createGrpcClient<C extends Client>(
  ClientConstructor: GeneratedClientConstructor<C>,
  serviceName: string,
  options: GrpcClientOptions,
): GrpcClient<C> {
  const resolved = options.resolve(serviceName);
  const pool = options.pool ?? defaultChannelPool;
  const interceptors = [
    createOutboundInterceptor({
      ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }),
    ...(options.interceptors ?? []),
  ];
  const telemetry = options.telemetry === null ? undefined : (options.telemetry ?? currentTelemetry());
  // One generated client per target (its channel comes from the shared pool).
  const raws = new Map<string, C>();
  const rawFor = (target: string): C => {
    let raw = raws.get(target);
    if (raw === undefined) {
      // Telemetry outermost, so calls the deadline interceptor ends at once are measured too.
      const all =
        telemetry === undefined ? interceptors : [createClientTelemetryInterceptor(telemetry, target, serviceName), ...interceptors];
      raw = new ClientConstructor(target, grpcCredentials.createInsecure(), {
        channelOverride: pool.get(target),
        interceptors: all,
      });
      raws.set(target, raw);
    }
    return raw;
  };
  let rawForCall: RawForCall;
  let client: Record<string, unknown>;
  if (typeof resolved === 'string') {
    const fixed = { raw: rawFor(resolved), done: () => undefined };
    rawForCall = () => fixed;
    client = { raw: fixed.raw, target: resolved };
  } else {
    const picker = resolved;
    let ready = picker.ready;
    void ready?.then(() => (ready = undefined)); // settled: later calls skip the await
    rawForCall = async () => {
      if (ready !== undefined) await ready;
      const lease = picker.pick();
      let reported = false;
      const done = (error: unknown): void => {
        if (reported) return; // a stream ended early reports once, not again on its CANCELLED status
        reported = true;
        lease.done(outcomeOf(error));
      };
      return { raw: rawFor(lease.target), done };
    };
    client = { target: `discovery:///${serviceName}` };
    Object.defineProperty(client, 'raw', {
      enumerable: true,
      get: () => {
        const lease = picker.pick();
        lease.done({ ok: true, latencyMs: 0 });
        return rawFor(lease.target);
      },
    });
  }
  for (const [name, method] of Object.entries(ClientConstructor.service)) {
    if (method.requestStream) continue; // client and bidi streaming: use `raw`
    client[name] = method.responseStream ? serverStreamingMethod(rawForCall, name) : unaryMethod(rawForCall, name);
  }
  return client as GrpcClient<C>;
}
