/**
 * One worker of a process group: the service started as usual (its own
 * database pool, telemetry, servers on the ports the primary shares), minus
 * the registration, which the primary makes once for the group. It tells the
 * primary when it is ready, stops when told (or on its own signal), answers
 * the primary's metrics collections, and asks the primary for the group's
 * metrics when Prometheus scrapes it.
 */
import { ConfigError } from '@flotilla/config';
import { EXIT_CODES as EXIT } from '../process-exit.ts';
import type { RunningService, StartOptions } from '../types.ts';
import { isToWorker, type MetricsSnapshot, type StopMode, type ToPrimary, type WorkerListeners } from './messages.ts';
import { quiesce } from './quiesce.ts';

interface Startable {
  readonly name: string;
  start(options?: StartOptions): Promise<RunningService<unknown, unknown>>;
}

/** A scrape waits at most this long for the group's figures. */
const GROUP_METRICS_BOUND_MS = 10_000;

export async function runWorker(service: Startable, slot: number): Promise<void> {
  // SIGHUP is the primary's (a rolling restart); a terminal's hang-up reaches every process of the group.
  process.on('SIGHUP', () => undefined);
  let running: RunningService<unknown, unknown>;
  try {
    running = await service.start({ worker: { slot } });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT.config);
    }
    process.stderr.write(`${service.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT.failure);
  }
  const registry = running.context.telemetry.metrics;
  const asked = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let nextAsk = 0;
  registry.serveGroupView(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextAsk++;
        const timer = setTimeout(() => {
          asked.delete(id);
          reject(new Error('the group primary did not answer with the group metrics'));
        }, GROUP_METRICS_BOUND_MS);
        asked.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        send({ flotilla: 'ask-group-metrics', id });
      }),
  );

  let stopping = false;
  const stop = (mode: StopMode, reason: string): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      const server = running.http?.server;
      if (mode === 'leave' && server !== undefined) await quiesce(server, shutdownBound(running));
      await running.stop(reason);
      // After the servers stopped, nothing counts any more: these are the worker's last figures.
      const metrics = await registry.snapshot().catch(() => undefined);
      if (metrics !== undefined && process.connected) await sendAndWait({ flotilla: 'final-metrics', metrics });
    })().then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        process.stderr.write(`${service.name}: shutdown failed: ${String(error)}\n`);
        process.exit(EXIT.failure);
      },
    );
  };

  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    switch (message.flotilla) {
      case 'stop':
        stop(message.mode, message.mode === 'leave' ? 'rolling restart' : 'the group is stopping');
        break;
      case 'collect-metrics':
        registry.snapshot().then(
          (metrics: MetricsSnapshot) => send({ flotilla: 'metrics', id: message.id, metrics }),
          (error: unknown) => send({ flotilla: 'metrics', id: message.id, error: String(error) }),
        );
        break;
      case 'group-metrics': {
        const waiting = asked.get(message.id);
        asked.delete(message.id);
        if (message.text !== undefined) waiting?.resolve(message.text);
        else waiting?.reject(new Error(message.error ?? 'no group metrics'));
        break;
      }
    }
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`${service.name}: second ${signal}, exiting now\n`);
      process.exit(EXIT.interrupted);
    }
    stop('group', `received ${signal}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  send({ flotilla: 'ready', listeners: listenersOf(running) });
}

function send(message: ToPrimary): void {
  if (process.connected) process.send?.(message);
}

function sendAndWait(message: ToPrimary): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

function shutdownBound(running: RunningService<unknown, unknown>): number {
  return (running.context.config as { shutdown: { timeoutMs: number } }).shutdown.timeoutMs;
}

function listenersOf(running: RunningService<unknown, unknown>): WorkerListeners {
  const config = running.context.config as { http: { host: string }; grpc?: { host: string } };
  const address = running.http?.server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : undefined;
  const grpcPort =
    running.grpcAddress === undefined ? undefined : Number(running.grpcAddress.slice(running.grpcAddress.lastIndexOf(':') + 1));
  return {
    http: httpPort === undefined ? undefined : { host: config.http.host, port: httpPort },
    grpc: grpcPort === undefined || config.grpc === undefined ? undefined : { host: config.grpc.host, port: grpcPort },
    url: running.httpUrl,
    version: running.context.telemetry.identity.version,
  };
}
