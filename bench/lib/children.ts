/**
 * Child processes for benchmarks: optionally pinned to one CPU (taskset), and
 * started through `setpriv --pdeathsig=KILL` so the kernel kills them if the
 * bench dies without cleaning up. Every child is tracked; killAllChildren()
 * runs on exit, Ctrl-C, SIGTERM and uncaught errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';

export interface SpawnOptions {
  /** Used in messages only. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** CPU list for taskset, e.g. "0"; undefined runs unpinned. */
  cpus?: string | undefined;
  /** stdout+stderr go to this file ('/dev/null' to drop them); default: piped stdout, stderr to the file or inherited. */
  outputFile?: string;
  /** Pipe stdout to the parent (the load worker reports through it). */
  pipeStdout?: boolean;
}

export interface Child {
  readonly name: string;
  /** The pid of the final program: taskset and setpriv exec into it, so this is node's pid. */
  readonly pid: number;
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs. Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const SETPRIV = '/usr/bin/setpriv';
const TASKSET = '/usr/bin/taskset';

export function canPin(): boolean {
  return executable(TASKSET);
}

function wrap(opts: SpawnOptions): { file: string; args: string[] } {
  let file = opts.command;
  let args = opts.args;
  if (executable(SETPRIV)) {
    args = ['--pdeathsig=KILL', '--', file, ...args];
    file = SETPRIV;
  }
  if (opts.cpus !== undefined) {
    if (!canPin()) throw new Error('taskset is not installed (util-linux); run with --no-pin');
    args = ['-c', opts.cpus, file, ...args];
    file = TASKSET;
  }
  return { file, args };
}

export function spawnChild(opts: SpawnOptions): Child {
  const { file, args } = wrap(opts);
  const fd = opts.outputFile === undefined ? undefined : openSync(opts.outputFile, 'a');
  const stdout = opts.pipeStdout === true ? 'pipe' : (fd ?? 'ignore');
  const stderr = fd ?? 'inherit';
  let proc: ChildProcess;
  try {
    proc = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', stdout, stderr] });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (proc.pid === undefined) throw new Error(`${opts.name}: could not spawn ${opts.command}`);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    });
    proc.once('error', () => {
      done = true;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const child: Child = {
    name: opts.name,
    pid: proc.pid,
    process: proc,
    exited,
    hasExited: () => done,
    async stop(graceMs = 5_000) {
      if (done) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(child);
  return child;
}

/** Last-resort cleanup: synchronous, so it also works from process 'exit'. */
export function killAllChildren(): void {
  for (const child of live) {
    try {
      child.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

let installed = false;

/** Kills every child on exit, Ctrl-C, SIGTERM and uncaught errors; runs `cleanup` (async) first on signals. */
export function installCleanup(cleanup: () => Promise<void>): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllChildren);
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}, stopping children\n`);
    const hardStop = setTimeout(() => process.exit(130), 20_000);
    hardStop.unref();
    cleanup().finally(() => {
      killAllChildren();
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
