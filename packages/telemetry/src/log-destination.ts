/**
 * Where a service's lines go: stdout through pino's asynchronous destination
 * (sonic-boom, `sync: false`), with lines gathered in front of it and handed
 * over as one string when the next line would take the batch past 4 KiB, or
 * 100 ms after the first of them. 4 KiB is PIPE_BUF: each write to a pipe
 * that size or smaller is atomic, so the lines of several processes sharing
 * one stdout (a group of workers) never interleave mid-line.
 *
 * Why gather here rather than with sonic-boom's `minLength`: sonic-boom
 * appends each line to its pending string and measures that string's UTF-8
 * length on every write, which copies the whole pending batch per line;
 * without a minimum it makes one write, one thread-pool hop and one callback
 * per line. Kept in an array and joined once, a line costs about what a
 * synchronous write to /dev/null does, and less than one to a file
 * (bench/logging/README.md), without ever blocking the event loop on a slow
 * reader of stdout.
 *
 * Nothing is lost on the way out: `drain()` (what `drainLogger` awaits at
 * shutdown) hands over what waits and resolves once sonic-boom has written
 * it all, and an exiting process writes what is left synchronously.
 */
import { pino } from 'pino';

/** PIPE_BUF on Linux. */
export const BATCH_BYTES = 4096;
export const BATCH_DELAY_MS = 100;

/** The part of sonic-boom this relies on (its `_writing` flag is how pino and sonic-boom themselves tell a write in flight). */
interface SonicBoom {
  write(data: string): boolean;
  flush(cb?: (error?: Error) => void): void;
  flushSync(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  _writing?: boolean;
}

/** Every batch still in use, flushed by one `exit` listener (a process may make many loggers: tests do). */
const live = new Set<WeakRef<LineBatch>>();
let exitHooked = false;

function flushAllAtExit(): void {
  for (const ref of live) ref.deref()?.flushSync();
}

export class LineBatch {
  readonly #out: SonicBoom;
  #lines: string[] = [];
  #length = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(fd = 1) {
    // maxWrite: sonic-boom joins what waits while a write is in flight, up to this; kept atomic too.
    this.#out = pino.destination({ dest: fd, sync: false, maxWrite: BATCH_BYTES }) as unknown as SonicBoom;
    const ref = new WeakRef(this);
    live.add(ref);
    this.#out.once('close', () => live.delete(ref));
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushAllAtExit);
    }
  }

  write(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.#length + bytes > BATCH_BYTES) this.#handOver();
    this.#lines.push(line);
    this.#length += bytes;
    // One timer at a time, not one per batch: under load, batches fill long before it fires.
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, BATCH_DELAY_MS);
      this.#timer.unref();
    }
    return true;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#handOver();
  };

  /** pino's `logger.flush(cb)`: what waits goes to sonic-boom now. */
  flush(cb?: (error?: Error) => void): void {
    this.#handOver();
    this.#out.flush(cb);
  }

  /** Everything written so far, on the file descriptor before this returns (exit time). */
  flushSync(): void {
    this.#handOver();
    this.#out.flushSync();
  }

  /** Resolves once every line written so far has reached the file descriptor (or after `timeoutMs`). */
  drain(timeoutMs: number): Promise<void> {
    this.#handOver();
    const out = this.#out;
    if (out._writing !== true) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      out.once('drain', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #handOver(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join('');
    this.#lines = [];
    this.#length = 0;
    this.#out.write(text);
  }
}
