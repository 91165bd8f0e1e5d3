/**
 * Running a service as a process: signals, exit codes and the one-line
 * banner. The first SIGTERM/SIGINT drains gracefully; a second exits at once.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@flotilla/config';
import type { RunningService, StartOptions } from './types.ts';

/** Exit codes (sysexits.h) so supervisors can tell bad config from a crash. */
export const EXIT_CODES = { ok: 0, failure: 1, config: 78, interrupted: 130 } as const;

interface Startable {
  readonly name: string;
  start(options?: StartOptions): Promise<RunningService<unknown, unknown>>;
}

export async function runMain(service: Startable): Promise<void> {
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

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(`${service.name}: second ${signal}, exiting now\n`);
      process.exit(EXIT_CODES.interrupted);
    }
    signalled = true;
    running.stop(`received ${signal}`).then(
      () => process.exit(EXIT_CODES.ok),
      (error: unknown) => {
        process.stderr.write(`${service.name}: shutdown failed: ${String(error)}\n`);
        process.exit(EXIT_CODES.failure);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** True when the module at `moduleUrl` is the process entry point. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}
