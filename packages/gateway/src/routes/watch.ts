/**
 * Watches the namespace's config folder (not the file: editors and
 * `mv tmp gateway.yaml` replace the inode, which a file watch loses) and
 * calls back once per burst of changes to the files that feed the gateway.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface ConfigWatchOptions {
  dir: string;
  files: readonly string[];
  debounceMs: number;
  onChange(): void;
  onError(error: Error): void;
}

export interface ConfigWatch {
  close(): void;
}

export function watchConfigFiles(options: ConfigWatchOptions): ConfigWatch {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const fire = (): void => {
    clearTimeout(timer);
    timer = setTimeout(options.onChange, options.debounceMs);
  };
  try {
    watcher = watch(options.dir, { persistent: false }, (_event, filename) => {
      // Some platforms give no name; then any change in the folder counts.
      if (filename === null || options.files.includes(filename.toString())) fire();
    });
    watcher.on('error', options.onError);
  } catch (error) {
    options.onError(error as Error);
  }
  return {
    close: () => {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
