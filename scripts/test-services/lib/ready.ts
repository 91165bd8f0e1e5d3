// Waiting until a server really accepts work, and failing with a message that
// names the server and shows the end of its log.
import type { ManagedProcess } from './proc.ts';
import { readLogTail } from './logtail.ts';
import { freePort } from './ports.ts';

export class ServerStartError extends Error {
  readonly code = 'TEST_SERVER_START_FAILED';
  /** The log says the port was taken: starting again on another port may work. */
  readonly addressInUse: boolean;

  constructor(message: string, addressInUse: boolean) {
    super(message);
    this.name = 'ServerStartError';
    this.addressInUse = addressInUse;
  }
}

const ADDRESS_IN_USE =
  /address already in use|EADDRINUSE|Bind on TCP\/IP port|could not bind|Could not create server TCP listening socket/i;

export interface ReadyOptions {
  name: string;
  process: ManagedProcess;
  /** "127.0.0.1:5432", for messages. */
  address: string;
  /** Resolves true when the server answers; may throw (treated as "not yet"). */
  probe: () => Promise<boolean>;
  timeoutMs?: number;
}

export async function waitUntilReady(opts: ReadyOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  let delay = 50;
  for (;;) {
    if (opts.process.hasExited()) {
      const exit = await opts.process.exited;
      const why = exit.error ? exit.error.message : exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
      throw failure(opts, `exited before it was ready (${why})`);
    }
    try {
      if (await opts.probe()) return;
      lastProblem = 'probe answered but not ready';
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      await opts.process.stop();
      throw failure(opts, `was not ready within ${timeoutMs / 1000}s (last probe: ${lastProblem})`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
}

function failure(opts: ReadyOptions, what: string): ServerStartError {
  const tail = readLogTail(opts.process.logFile, opts.process.logOffset);
  return new ServerStartError(
    `${opts.name} on ${opts.address} ${what}; last lines of ${opts.process.logFile}:\n${tail}`,
    ADDRESS_IN_USE.test(tail),
  );
}

/**
 * Picks free ports and starts; when the server lost a race for its port
 * (EADDRINUSE at start), picks new ones and tries again. A port the caller
 * asked for is never replaced.
 */
export async function withFreePorts<T>(
  requested: (number | undefined)[],
  start: (ports: number[]) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (const port of requested) ports.push(port ?? (await freePort()));
    try {
      return await start(ports);
    } catch (error) {
      const retryable = error instanceof ServerStartError && error.addressInUse && requested.some((p) => p === undefined);
      if (!retryable || attempt >= attempts) throw error;
    }
  }
}
