/**
 * Running a service as a process: signals, exit codes and the one-line
 * banner. The first SIGTERM/SIGINT drains gracefully; a second exits at once.
 * A process started with an IPC channel (as `flotilla dev` starts its
 * children) stops the same way when that channel closes: its parent is gone,
 * whatever killed it, and nothing else would ever stop this process.
 *
 * With `workers` above 1 the process becomes the primary of a group of
 * worker processes sharing its ports (`workers/primary.ts`), and each worker
 * runs this same entry point (`workers/worker.ts`).
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, startConfigCentre } from '@flotilla/config';
import { GroupConfig } from './config-schema.ts';
import { EXIT_CODES, ORPHAN_STOP_BOUND_MS, onParentGone } from './process-exit.ts';
import type { RunningService, StartOptions } from './types.ts';
import { workerCount } from './workers/count.ts';
import { WORKER_SLOT_ENV } from './workers/messages.ts';
import { nodeCluster } from './workers/node-cluster.ts';
import { type GroupPlan, runPrimary } from './workers/primary.ts';
import { runWorker } from './workers/worker.ts';

export { EXIT_CODES } from './process-exit.ts';

interface Startable {
  readonly name: string;
  start(options?: StartOptions): Promise<RunningService<unknown, unknown>>;
}

export async function runMain(service: Startable): Promise<void> {
  const slot = workerSlot();
  if (slot !== undefined) return runWorker(service, slot);
  const group = await groupPlan(service.name);
  if (group !== undefined) return runPrimary(group);
  return runSingle(service);
}

/** This process's slot when a group's primary forked it. */
function workerSlot(): number | undefined {
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return nodeCluster().isWorker && Number.isInteger(slot) && slot > 0 ? slot : undefined;
}

/**
 * The worker count from the shared config keys; undefined for one process.
 * A config that does not load is left to the service's own start, which
 * reports every problem against its whole schema.
 */
async function groupPlan(name: string): Promise<GroupPlan | undefined> {
  // Forked by another cluster supervisor: that one decides how many of us run.
  if (nodeCluster().isWorker) return undefined;
  let centre: Awaited<ReturnType<typeof startConfigCentre<typeof GroupConfig>>>;
  try {
    centre = await startConfigCentre({ service: name, schema: GroupConfig });
  } catch {
    return undefined;
  }
  const count = workerCount(centre.value.workers);
  if (count.count > 1) return { name, count, centre, env: process.env };
  await centre.close();
  return undefined;
}

async function runSingle(service: Startable): Promise<void> {
  let stopFor: ((reason: string) => void) | undefined;
  // A reason to stop that came while the service was starting: acted on as soon as it runs.
  let stopWhenStarted: string | undefined;
  let stopping = false;
  const requestStop = (reason: string): void => {
    if (stopFor === undefined) stopWhenStarted ??= reason;
    else stopFor(reason);
  };
  // Watched before starting: the parent may vanish while migrations run (or
  // already did, while the worker count was being read).
  onParentGone(() => {
    setTimeout(() => process.exit(EXIT_CODES.interrupted), ORPHAN_STOP_BOUND_MS).unref();
    requestStop('parent process gone');
  });
  // Installed before starting too: a SIGTERM while ports open or the instance
  // registers (a Pod deleted as it starts) is a graceful stop, not Node's default exit.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping || stopWhenStarted !== undefined) {
      process.stderr.write(`${service.name}: second ${signal}, exiting now\n`);
      process.exit(EXIT_CODES.interrupted);
    }
    requestStop(`received ${signal}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let running: RunningService<unknown, unknown>;
  try {
    running = await service.start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CODES.config);
    }
    process.stderr.write(`${service.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT_CODES.failure);
  }

  stopFor = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    running.stop(reason).then(
      () => process.exit(EXIT_CODES.ok),
      (error: unknown) => {
        process.stderr.write(`${service.name}: shutdown failed: ${String(error)}\n`);
        process.exit(EXIT_CODES.failure);
      },
    );
  };
  if (stopWhenStarted !== undefined) stopFor(stopWhenStarted);
}

/** True when the module at `moduleUrl` is the process entry point. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}
