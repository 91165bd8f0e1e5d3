import { readdirSync, readFileSync } from 'node:fs';

/**
 * Live (not zombie) processes whose environment holds `marker` (NAME=value):
 * how a test finds every process a run started, however deep, by a variable
 * only that run sets.
 */
export function processesMarked(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        if (
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .startsWith('Z')
        )
          return false;
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker);
      } catch {
        return false; // gone, or not ours to read
      }
    });
}
