// A freshly initialised data dir (initdb, mariadb-install-db) is the same every
// time, so it is made once, kept under ~/.cache/flotilla/templates and copied.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from './paths.ts';
import { seconds, type Log } from './log.ts';

const COMPLETE = '.flotilla-template-complete';

function cpArchive(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // cp -a keeps owners and modes (the postgres data dir must stay 0700, owned by postgres).
    const child = spawn('cp', ['-a', `${from}/.`, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cp -a ${from} ${to} failed: ${stderr.trim()}`))));
  });
}

/** A cache key that changes when the server binary does (package upgrade). */
export function binaryKey(binary: string): string {
  const s = statSync(binary);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return `${s.size}-${Math.floor(s.mtimeMs)}-u${uid}`;
}

export interface TemplateOptions {
  /** e.g. "postgres-15". */
  name: string;
  key: string;
  /** Fills `into` (an empty dir under the system temp dir) with the data dir's contents. */
  build: (into: string) => Promise<void>;
  /** Where to copy the data dir to; must not exist yet or be empty. */
  target: string;
  log: Log;
}

export async function copyFromTemplate(opts: TemplateOptions): Promise<void> {
  const templates = join(cacheDir(), 'templates');
  const template = join(templates, `${opts.name}-${opts.key}`);
  if (!existsSync(join(template, COMPLETE))) {
    const began = Date.now();
    // Build under /tmp: a server that drops root cannot reach ~/.cache.
    const scratch = mkdtempSync(join(tmpdir(), `flotilla-template-${opts.name}-`));
    chmodSync(scratch, 0o755);
    const staging = `${template}.tmp-${process.pid}-${Date.now()}`;
    try {
      const into = join(scratch, 'data');
      mkdirSync(into);
      await opts.build(into);
      mkdirSync(staging, { recursive: true });
      await cpArchive(into, staging);
      writeFileSync(join(staging, COMPLETE), '');
      rmSync(template, { recursive: true, force: true });
      try {
        renameSync(staging, template);
      } catch {
        // Another process finished the same template first; use theirs.
      }
      opts.log(`made ${opts.name} data template (${seconds(began)}, once per machine)`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(staging, { recursive: true, force: true });
    }
  }
  mkdirSync(opts.target, { recursive: true });
  await cpArchive(template, opts.target);
  rmSync(join(opts.target, COMPLETE), { force: true });
}
