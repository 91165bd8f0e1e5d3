/**
 * The Node 20 side: a git worktree of the last commit that ran on Node 20,
 * installed and built once with the system Node 20 (its native addon is
 * compiled for Node 20's ABI there), then reused by every later run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const NODE20_COMMIT = '30e92f5';
export const NODE20_BIN = '/usr/bin/node';
/** Only the system directories, so npm and its scripts find /usr/bin/node, never the pinned Node 24. */
const SYSTEM_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';
/** npm ci (download, node-gyp, tsc -b, esbuild) on a busy 2-core machine: generous, but bounded. */
const SETUP_TIMEOUT_MS = 30 * 60_000;

/** Where one runtime's build lives, and how to run it. */
export interface Checkout {
  /** The checkout's root: config/, node_modules/, the bundles. */
  root: string;
  /** The node binary that runs its bundles. */
  node: string;
  /** `node --version` of that binary. */
  version: string;
  usersBundle: string;
  gatewayBundle: string;
}

const log = (message: string): void => void process.stderr.write(`runtime: ${message}\n`);

export function bundlesOf(root: string): { usersBundle: string; gatewayBundle: string } {
  return { usersBundle: join(root, 'services/users/dist/bundle.mjs'), gatewayBundle: join(root, 'packages/gateway/dist/bundle.mjs') };
}

export function nodeVersion(node: string): string {
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${node} --version failed: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

export function node20Dir(): string {
  return join(homedir(), '.cache', 'flotilla', 'bench', `node20-${NODE20_COMMIT}`);
}

/** The parent's env for the system toolchain: system PATH, and no npm_* keys that would point npm at the pinned Node's tools. */
function systemEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && !key.startsWith('FLOTILLA_')));
  return { ...env, PATH: SYSTEM_PATH };
}

/** Runs a command with its output on our stderr (stdout is the report). */
function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  log(`$ ${command} ${args.join(' ')}   (in ${opts.cwd})`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 2, 2] });
    const timer = setTimeout(() => child.kill('SIGKILL'), SETUP_TIMEOUT_MS);
    // Ctrl-C reaches the whole process group; this covers an exit of ours for any other reason.
    const onExit = (): void => void child.kill('SIGKILL');
    process.once('exit', onExit);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', onExit);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (code ${code}, signal ${signal})`));
    });
  });
}

function gitHead(dir: string): string | undefined {
  const result = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Opens better-sqlite3 under Node 20 in the worktree: the addon must be built for that ABI. */
function sqliteLoads(root: string): string | undefined {
  const probe = "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()";
  const result = spawnSync(NODE20_BIN, ['-e', probe], { cwd: root, encoding: 'utf8', env: systemEnv() });
  if (result.status === 0) return undefined;
  return (
    result.stderr
      .split('\n')
      .find((line) => /Error/.test(line))
      ?.trim() ?? `exit ${result.status ?? result.signal}`
  );
}

function built(root: string): boolean {
  const { usersBundle, gatewayBundle } = bundlesOf(root);
  return existsSync(usersBundle) && existsSync(gatewayBundle) && existsSync(join(root, 'node_modules', 'better-sqlite3'));
}

/**
 * The worktree at NODE20_COMMIT under ~/.cache, created (`git worktree add
 * --detach`) and installed (`npm ci` with the system Node 20 and npm, whose
 * prepare script builds the TypeScript and the bundles) when missing.
 */
export async function ensureNode20(repoRoot: string): Promise<Checkout> {
  const version = nodeVersion(NODE20_BIN);
  if (!version.startsWith('v20.')) throw new Error(`${NODE20_BIN} is ${version}, not Node 20`);
  const root = node20Dir();
  if (!existsSync(root)) {
    log(`one-time setup: creating a worktree of ${NODE20_COMMIT} in ${root}`);
    mkdirSync(dirname(root), { recursive: true });
    await run('git', ['-C', repoRoot, 'worktree', 'add', '--detach', root, NODE20_COMMIT], { cwd: repoRoot, env: process.env }).catch(
      (error: unknown) => {
        throw new Error(
          `${String(error)}; if git says the path is already registered, run \`git -C ${repoRoot} worktree prune\` and retry`,
        );
      },
    );
  }
  const head = gitHead(root);
  const expected = spawnSync('git', ['-C', repoRoot, 'rev-parse', `${NODE20_COMMIT}^{commit}`], { encoding: 'utf8' }).stdout.trim();
  if (head === undefined || head !== expected) {
    throw new Error(`${root} is not a worktree at ${NODE20_COMMIT} (HEAD ${head ?? 'unknown'}); move it away and rerun`);
  }
  if (!built(root)) {
    log(
      `one-time setup: installing and building ${NODE20_COMMIT} with ${NODE20_BIN} ${version} (npm ci; its prepare script runs tsc -b and the bundler). This takes a few minutes.`,
    );
    await run('npm', ['ci'], { cwd: root, env: systemEnv() });
    if (!built(root))
      throw new Error(`npm ci in ${root} finished but the bundles are missing: ${Object.values(bundlesOf(root)).join(', ')}`);
    log('one-time setup: done');
  } else {
    log(`Node 20 side: reusing ${root}`);
  }
  const failure = sqliteLoads(root);
  if (failure !== undefined)
    throw new Error(`better-sqlite3 does not load under ${NODE20_BIN} in ${root}: ${failure}; rerun \`PATH=${SYSTEM_PATH} npm ci\` there`);
  return { root, node: NODE20_BIN, version, ...bundlesOf(root) };
}

/** The Node 24 side: this tree's bundles (npm run build), run by the pinned node. */
export function currentCheckout(repoRoot: string): Checkout {
  const pinned = join(repoRoot, 'node_modules', '.bin', 'node');
  const node = existsSync(pinned) ? pinned : process.execPath;
  const version = nodeVersion(node);
  if (!version.startsWith('v24.')) throw new Error(`${node} is ${version}, not Node 24`);
  const bundles = bundlesOf(repoRoot);
  const missing = Object.values(bundles).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run \`npm run build\` at ${repoRoot} first`);
  return { root: repoRoot, node, version, ...bundles };
}
