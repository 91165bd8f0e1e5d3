// Starting and stopping server processes so that none outlives its owner:
// - each server leads its own process group (detached), so stop() can signal
//   the whole group (postgres backends included) and SIGKILL it after a grace;
// - each server is exec'd through `setpriv --pdeathsig=KILL`, so the kernel
//   kills it if the Node process that started it dies without calling stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { isExecutable, isRoot } from './paths.ts';
import { lookupUser } from './users.ts';
import { readLogTail } from './logtail.ts';

export interface LaunchOptions {
  /** Used in messages only. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** stdout and stderr are appended to this file. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Drop to this system user when running as root (postgres refuses root). */
  runAsUser?: string;
  /** Signal that asks for a clean, quick shutdown. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits after stopSignal before SIGKILL. Default 15 s. */
  stopGraceMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Byte offset of the log file when this process started (for log tails). */
  readonly logOffset: number;
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** Signals the process group, waits, SIGKILLs after the grace. Idempotent. */
  stop(): Promise<void>;
}

const SETPRIV = '/usr/bin/setpriv';

function commandLine(opts: LaunchOptions): { file: string; args: string[]; uid?: number; gid?: number } {
  const user = opts.runAsUser !== undefined && isRoot() ? lookupUser(opts.runAsUser) : undefined;
  if (opts.runAsUser !== undefined && isRoot() && user === undefined) {
    throw new Error(`${opts.name}: system user '${opts.runAsUser}' does not exist (is its Debian package installed?)`);
  }
  if (isExecutable(SETPRIV)) {
    const drop = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups'] : [];
    // pdeathsig is applied after the uid change by setpriv, so it survives it.
    return { file: SETPRIV, args: [...drop, '--pdeathsig=KILL', '--', opts.command, ...opts.args] };
  }
  return user ? { file: opts.command, args: opts.args, uid: user.uid, gid: user.gid } : { file: opts.command, args: opts.args };
}

function openLog(logFile: string, header: string): { fd: number; offset: number } {
  const fd = openSync(logFile, 'a');
  const offset = statSync(logFile).size;
  writeSync(fd, `--- ${new Date().toISOString()} ${header}\n`);
  return { fd, offset };
}

export function launch(opts: LaunchOptions): ManagedProcess {
  const line = commandLine(opts);
  const { fd, offset } = openLog(opts.logFile, `${opts.command} ${opts.args.join(' ')}`);
  let child: ChildProcess;
  try {
    child = spawn(line.file, line.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
      ...(line.uid !== undefined ? { uid: line.uid, gid: line.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      done = true;
      resolve({ code: null, signal: null, error });
    });
  });
  const pid = child.pid ?? -1;
  const stopSignal = opts.stopSignal ?? 'SIGTERM';
  const grace = opts.stopGraceMs ?? 15_000;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (done || pid <= 0) return;
      signalGroup(pid, stopSignal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), grace))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
      // Whatever the leader left behind in its group goes too.
      signalGroup(pid, 'SIGKILL');
    })();
    return stopping;
  };

  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    logOffset: offset,
    exited,
    hasExited: () => done,
    stop,
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Runs a one-shot command (initdb, mariadb-install-db) to completion, logging to logFile. */
export async function runToCompletion(opts: Omit<LaunchOptions, 'stopSignal' | 'stopGraceMs'> & { timeoutMs?: number }): Promise<void> {
  const proc = launch(opts);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    proc.exited,
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.timeoutMs ?? 300_000))),
  ]);
  clearTimeout(timer);
  if (result === 'timeout') {
    await proc.stop();
    throw new Error(
      `${opts.name}: ${opts.command} timed out; last lines of ${opts.logFile}:\n${readLogTail(opts.logFile, proc.logOffset)}`,
    );
  }
  if (result.error || result.code !== 0) {
    const why = result.error ? result.error.message : result.signal ? `signal ${result.signal}` : `exit code ${result.code}`;
    throw new Error(
      `${opts.name}: ${opts.command} failed (${why}); last lines of ${opts.logFile}:\n${readLogTail(opts.logFile, proc.logOffset)}`,
    );
  }
}

/** True if pid is a live process (a zombie counts as dead: nobody may reap it here). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Field 3 of /proc/PID/stat is the state; the command name before it may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
