/**
 * The standard gRPC health service (grpc.health.v1.Health, proto in
 * proto/grpc/health/v1/health.proto): Check answers the current status, Watch
 * streams it and every change. The overall server ("") and each registered
 * service follow one readiness function; everything is NOT_SERVING once the
 * server starts shutting down. The two messages are one field each, so their
 * codec is written by hand on the wire format (tests check it against the
 * .proto through @grpc/proto-loader).
 */
import {
  status as Status,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
} as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

interface HealthCheckRequest {
  service: string;
}

interface HealthCheckResponse {
  status: ServingStatus;
}

function encodeRequest(request: HealthCheckRequest): Buffer {
  const writer = new BinaryWriter();
  if (request.service !== '') writer.tag(1, WireType.LengthDelimited).string(request.service);
  return Buffer.from(writer.finish());
}

function decodeRequest(bytes: Buffer): HealthCheckRequest {
  const reader = new BinaryReader(bytes);
  const request: HealthCheckRequest = { service: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) request.service = reader.string();
    else reader.skip(wireType, field);
  }
  return request;
}

function encodeResponse(response: HealthCheckResponse): Buffer {
  const writer = new BinaryWriter();
  if (response.status !== ServingStatus.UNKNOWN) writer.tag(1, WireType.Varint).int32(response.status);
  return Buffer.from(writer.finish());
}

function decodeResponse(bytes: Buffer): HealthCheckResponse {
  const reader = new BinaryReader(bytes);
  const response: HealthCheckResponse = { status: ServingStatus.UNKNOWN };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) response.status = reader.int32() as ServingStatus;
    else reader.skip(wireType, field);
  }
  return response;
}

const method = (name: string, responseStream: boolean) => ({
  path: `/${HEALTH_SERVICE_NAME}/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: encodeRequest,
  requestDeserialize: decodeRequest,
  responseSerialize: encodeResponse,
  responseDeserialize: decodeResponse,
  originalName: name,
});

export const healthServiceDefinition: ServiceDefinition = {
  check: method('Check', false),
  watch: method('Watch', true),
};

interface Watcher {
  service: string;
  last: ServingStatus;
  call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;
}

/**
 * Tracks serving status for the health service. Watchers are re-evaluated
 * every `pollIntervalMs` while any exist, and at once on `refresh()`.
 */
export class HealthReporter {
  private readonly readiness: () => boolean;
  private readonly pollIntervalMs: number;
  private readonly known: Set<string>;
  private readonly watchers = new Set<Watcher>();
  private poller: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(readiness: () => boolean, serviceNames: Iterable<string>, pollIntervalMs = 1000) {
    this.readiness = readiness;
    this.pollIntervalMs = pollIntervalMs;
    this.known = new Set(['', ...serviceNames]);
  }

  /** The status of "" (the whole server) or a fully qualified service; SERVICE_UNKNOWN for others. */
  statusOf(service: string): ServingStatus {
    if (!this.known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    if (this.shuttingDown) return ServingStatus.NOT_SERVING;
    try {
      return this.readiness() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    } catch {
      return ServingStatus.NOT_SERVING; // a failing readiness check is not ready
    }
  }

  /** Re-evaluates readiness now and pushes changes to watchers. */
  refresh(): void {
    for (const watcher of this.watchers) {
      const status = this.statusOf(watcher.service);
      if (status === watcher.last) continue;
      watcher.last = status;
      watcher.call.write({ status });
    }
  }

  /** From now on every service reports NOT_SERVING; open Watch streams are told at once. */
  markShuttingDown(): void {
    this.shuttingDown = true;
    this.refresh();
  }

  /** Ends open Watch streams (they would otherwise keep a graceful shutdown waiting). */
  closeWatches(): void {
    for (const watcher of [...this.watchers]) {
      this.removeWatcher(watcher);
      watcher.call.emit('error', { code: Status.UNAVAILABLE, details: 'The server is shutting down' });
    }
  }

  implementation(): UntypedServiceImplementation {
    const check: handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
      const status = this.statusOf(call.request.service);
      if (status === ServingStatus.SERVICE_UNKNOWN) {
        callback({ code: Status.NOT_FOUND, details: `Unknown service: ${call.request.service}` }, null);
        return;
      }
      callback(null, { status });
    };
    const watch: handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
      const watcher: Watcher = { service: call.request.service, last: this.statusOf(call.request.service), call };
      call.write({ status: watcher.last });
      if (this.shuttingDown) {
        call.emit('error', { code: Status.UNAVAILABLE, details: 'The server is shutting down' });
        return;
      }
      this.watchers.add(watcher);
      call.on('cancelled', () => this.removeWatcher(watcher));
      call.on('close', () => this.removeWatcher(watcher));
      this.startPolling();
    };
    return { check, watch } as UntypedServiceImplementation;
  }

  private removeWatcher(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0 && this.poller !== undefined) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  private startPolling(): void {
    if (this.poller !== undefined) return;
    this.poller = setInterval(() => this.refresh(), this.pollIntervalMs);
    this.poller.unref();
  }
}
