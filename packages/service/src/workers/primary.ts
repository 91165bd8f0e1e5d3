/**
 * The primary of a process group (`workers` > 1): it serves nothing itself.
 * It holds the listening sockets (Node's cluster), keeps the workers running
 * (`supervisor.ts`), registers the group in discovery once — one instance,
 * whatever the number of workers — merges the workers' metrics for `/metrics`,
 * and turns signals into group actions:
 *
 * - SIGTERM / SIGINT: deregister first, then every worker drains (the usual
 *   graceful stop), then exit 0; a second signal kills the workers, exit 130;
 * - SIGHUP: a rolling restart (new workers read the config afresh, so keys
 *   that wait for a restart take effect without a failed request).
 *
 * Started with an IPC channel (`flotilla dev`), it treats that channel
 * closing as SIGTERM, bounded as a single process is (main.ts).
 */
import { attachConfigReload, type ConfigCentreConnection } from '@flotilla/config';
import { createLogger, drainLogger } from '@flotilla/telemetry';
import type { GroupConfig } from '../config-schema.ts';
import { openServiceDiscovery, type OpenedServiceDiscovery } from '../discovery.ts';
import { EXIT_CODES as EXIT, ORPHAN_STOP_BOUND_MS, onParentGone } from '../process-exit.ts';
import { describeCount, type WorkerCount } from './count.ts';
import { GroupStartError, Supervisor } from './supervisor.ts';

export interface GroupPlan {
  name: string;
  count: WorkerCount;
  /** The config centre, loaded with the shared keys (GroupConfig) and still watching. */
  centre: ConfigCentreConnection<typeof GroupConfig>;
  env: Record<string, string | undefined>;
}

export async function runPrimary(plan: GroupPlan): Promise<void> {
  const { name, centre } = plan;
  const config = centre.value;
  const logger = createLogger({
    service: name,
    environment: centre.namespace,
    level: config.log.level,
    ...(config.log.pretty === undefined ? {} : { pretty: config.log.pretty }),
  });
  const reload = await attachConfigReload({ centre, logger, publishSchema: false });
  const supervisor = new Supervisor({ count: plan.count.count, logger, shutdownTimeoutMs: config.shutdown.timeoutMs });
  let discovery: OpenedServiceDiscovery | undefined;

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: { action: 'stopping', reason } }, `${name} group shutting down: ${reason}`);
    void (async () => {
      // Callers stop picking this instance before its workers drain.
      await discovery?.deregister(Math.min(2_000, config.shutdown.timeoutMs));
      await supervisor.stop();
      await discovery?.close();
      await reload.close();
      logger.info({ event: { action: 'stopped' } }, `${name} group stopped`);
      await drainLogger(logger);
    })().then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        process.stderr.write(`${name}: group shutdown failed: ${String(error)}\n`);
        supervisor.kill();
        process.exit(EXIT.failure);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`${name}: second ${signal}, exiting now\n`);
      supervisor.kill();
      process.exit(EXIT.interrupted);
    }
    stop(`received ${signal}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => {
    if (!stopping) void supervisor.roll();
  });
  onParentGone(() => {
    setTimeout(() => {
      supervisor.kill();
      process.exit(EXIT.interrupted);
    }, ORPHAN_STOP_BOUND_MS).unref();
    stop('parent process gone');
  });

  logger.info(
    { event: { action: 'group-starting' }, labels: { workers: plan.count.count } },
    `${name} starting ${describeCount(plan.count)}`,
  );
  try {
    await supervisor.start();
  } catch (error) {
    if (stopping) return;
    const code = error instanceof GroupStartError && error.exitCode === EXIT.config ? EXIT.config : EXIT.failure;
    process.stderr.write(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    await reload.close().catch(() => undefined);
    await drainLogger(logger);
    process.exit(code);
  }
  if (stopping) return;

  const listeners = supervisor.listeners;
  if (listeners !== undefined) {
    discovery = openServiceDiscovery({
      service: name,
      version: listeners.version,
      namespace: centre.namespace,
      settings: config.discovery,
      env: plan.env,
      logger,
    });
    await discovery.register(
      {
        ports: {
          ...(listeners.http === undefined ? {} : { http: listeners.http.port }),
          ...(listeners.grpc === undefined ? {} : { grpc: listeners.grpc.port }),
        },
        hosts: [
          ...(listeners.http === undefined ? [] : [listeners.http.host]),
          ...(listeners.grpc === undefined ? [] : [listeners.grpc.host]),
        ],
      },
      reload,
    );
  }
  logger.info(
    { event: { action: 'group-ready' }, url: { full: listeners?.url }, labels: { workers: plan.count.count } },
    `${name} group ready: ${plan.count.count} workers${listeners?.url === undefined ? '' : ` on ${listeners.url}`}`,
  );
}
