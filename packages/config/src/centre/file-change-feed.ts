/**
 * Notices changes of one file: fs.watch on its folder for a prompt signal
 * (the store replaces files by rename, which a watch on the file itself
 * would lose), plus a short poll as a safety net for file systems where
 * inotify is unreliable or the folder does not exist yet. Only a change of
 * content is reported, once, in order.
 */
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ConfigSubscription } from './types.ts';

export interface WatchFileOptions {
  path: string;
  initialText: string | undefined;
  pollIntervalMs: number;
  onText: (text: string | undefined) => void | Promise<void>;
  onError?: (error: Error) => void;
}

export function watchFile(options: WatchFileOptions): ConfigSubscription {
  let last = options.initialText;
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const check = (): void => {
    if (closed) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        const text = read(options.path);
        if (text === last) continue;
        last = text;
        try {
          await options.onText(text);
        } catch (error) {
          options.onError?.(error as Error);
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
  };

  let watcher: FSWatcher | undefined;
  const startWatcher = (): void => {
    if (watcher !== undefined || closed) return;
    try {
      watcher = watch(dirname(options.path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(options.path)) check();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // folder missing: the poll covers it and retries the watch
    }
  };
  startWatcher();
  const timer = setInterval(() => {
    startWatcher();
    check();
  }, options.pollIntervalMs);
  timer.unref();

  return {
    close: async () => {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      await running;
    },
  };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
