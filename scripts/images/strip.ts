/** A stripped copy of an ELF file (binutils' strip), read back into memory; the original is left alone. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `--strip-all` for an executable, `--strip-unneeded` for a shared object
 * (a native addon): symbols and debug info go, the dynamic symbol table the
 * loader and Node-API need stays.
 */
export function stripped(file: string, mode: '--strip-all' | '--strip-unneeded'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-images-'));
  try {
    const out = join(dir, 'stripped');
    try {
      execFileSync('strip', [mode, '-o', out, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`images: strip ${file} failed (apt-get install -y binutils): ${(error as Error).message}`);
    }
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
