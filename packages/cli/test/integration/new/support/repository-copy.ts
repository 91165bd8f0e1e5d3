/**
 * A throw-away copy of this repository for commands that change it: the
 * files git tracks or would track (the working tree as it is), and a
 * node_modules whose third-party packages are links into the real one while
 * its @flotilla/* links point into the copy, as npm's workspace links do.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, tempDir } from '@flotilla/testing';

const execFileAsync = promisify(execFile);

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

export interface RepositoryCopy {
  root: string;
  /** What `npm install` does for a new workspace: node_modules/@flotilla/<name> → services/<name>. */
  linkWorkspace(folder: string): void;
  /** Runs a program in the copy with the pinned Node and the copy's node_modules/.bin first on PATH. */
  run(program: string, args: string[], env?: Record<string, string | undefined>): Promise<CommandResult>;
  /** Path → content hash of every file outside node_modules, dist and .flotilla. */
  snapshot(): Map<string, string>;
  remove(): void;
}

const SKIPPED = new Set(['node_modules', 'dist', '.flotilla', '.git']);

export function copyRepository(): RepositoryCopy {
  const dir = tempDir('repository-copy');
  const root = dir.path;
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const file of listed) {
    const source = join(repoRoot, file);
    if (!existsSync(source)) continue; // deleted in the working tree
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(source, join(root, file));
  }

  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, '@flotilla'), { recursive: true });
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    if (entry !== '@flotilla') symlinkSync(join(repoRoot, 'node_modules', entry), join(modules, entry));
  }
  const linkWorkspace = (folder: string): void => {
    const link = join(modules, '@flotilla', folder.split('/').pop() as string);
    if (!existsSync(link)) symlinkSync(join('..', '..', folder), link);
  };
  for (const top of ['packages', 'services']) {
    for (const name of readdirSync(join(root, top))) if (existsSync(join(root, top, name, 'package.json'))) linkWorkspace(`${top}/${name}`);
  }

  const path = [dirname(process.execPath), join(modules, '.bin'), process.env.PATH].join(':');
  return {
    root,
    linkWorkspace,
    run: async (program, args, env = {}) => {
      const merged: NodeJS.ProcessEnv = { ...process.env, PATH: path, ...env };
      // A nested `node --test` must report as a top-level run, not to this test runner.
      delete merged.NODE_TEST_CONTEXT;
      for (const [key, value] of Object.entries(env)) if (value === undefined) delete merged[key];
      try {
        const { stdout, stderr } = await execFileAsync(program, args, { cwd: root, env: merged, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr, output: `${stdout}${stderr}` };
      } catch (error) {
        const failed = error as { code?: unknown; stdout?: string; stderr?: string };
        const stdout = failed.stdout ?? '';
        const stderr = failed.stderr ?? String(error);
        return { code: typeof failed.code === 'number' ? failed.code : 1, stdout, stderr, output: `${stdout}${stderr}` };
      }
    },
    snapshot: () => {
      const hashes = new Map<string, string>();
      const visit = (folder: string): void => {
        for (const entry of readdirSync(folder, { withFileTypes: true })) {
          if (SKIPPED.has(entry.name)) continue;
          const full = join(folder, entry.name);
          if (entry.isDirectory()) visit(full);
          else if (entry.isFile())
            hashes.set(relative(root, full).split(sep).join('/'), createHash('sha256').update(readFileSync(full)).digest('hex'));
        }
      };
      visit(root);
      return hashes;
    },
    remove: () => dir.remove(),
  };
}
