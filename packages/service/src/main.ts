/**
 * Running a service as a process: signals, exit codes and the one-line
 * banner. The first SIGTERM/SIGINT drains gracefully; a second exits at once.
 * A process started with an IPC channel (as `flotilla dev` starts its
 * children) stops the same way when that channel closes: its parent is gone,
 * whatever killed it, and nothing else would ever stop this process.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@flotilla/config';
import type { RunningService, StartOptions } from './types.ts';

/** Exit codes (sysexits.h) so supervisors can tell bad config from a crash. */
export const EXIT_CODES = { ok: 0, failure: 1, config: 78, interrupted: 130 } as const;

/** How long an orphaned process may take to drain before it exits anyway. */
const ORPHAN_STOP_BOUND_MS = 5_000;

interface Startable {
  readonly name: string;
  start(options?: StartOptions): Promise<RunningService<unknown, unknown>>;
}

export async function runMain(service: Startable): Promise<void> {
  let stopFor: ((reason: string) => void) | undefined;
  let orphaned = false;
  // Watched before starting: the parent may vanish while migrations run.
  if (process.connected) {
    process.once('disconnect', () => {
      orphaned = true;
      setTimeout(() => process.exit(EXIT_CODES.interrupted), ORPHAN_STOP_BOUND_MS).unref();
      stopFor?.('parent process gone');
    });
  }

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

  let stopping = false;
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
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`${service.name}: second ${signal}, exiting now\n`);
      process.exit(EXIT_CODES.interrupted);
    }
    stopFor?.(`received ${signal}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (orphaned) stopFor('parent process gone');
}

/** True when the module at `moduleUrl` is the process entry point. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}
