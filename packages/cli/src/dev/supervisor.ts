/**
 * A small process supervisor for local runs: starts each service as its own
 * process, restarts a crashed one with exponential backoff, and on Ctrl-C or
 * SIGTERM stops them all gracefully (a second Ctrl-C kills at once).
 * Children run in their own process group so a terminal Ctrl-C reaches only
 * the supervisor, which then sends each child exactly one SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BackoffPolicy } from '@flotilla/core';
import type { ProcessSpec } from './processes.ts';

const CONFIG_ERROR_EXIT = 78;
/** 0.5 s doubling to 30 s; no jitter, the one supervisor restarts its own children. */
const RESTART_BACKOFF = new BackoffPolicy({ initialMs: 500, maxMs: 30_000, jitter: 'none' });
const HEALTHY_RUN_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess | undefined;
  restarts: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface SupervisorOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly procs: Supervised[];
  private stopping = false;
  private exitCode = 0;

  constructor(specs: ProcessSpec[], options: SupervisorOptions) {
    this.options = options;
    this.procs = specs.map((spec) => ({ spec, child: undefined, restarts: 0, startedAt: 0, timer: undefined }));
  }

  start(): void {
    for (const proc of this.procs) this.launch(proc);
  }

  /** Resolves with the exit code once every child has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    this.stopping = true;
    const alive = this.procs.filter((p) => p.child !== undefined && p.child.exitCode === null && p.child.signalCode === null);
    for (const proc of this.procs) clearTimeout(proc.timer);
    await Promise.all(alive.map((proc) => this.stopOne(proc, signal)));
    return this.exitCode;
  }

  kill(): void {
    this.stopping = true;
    for (const proc of this.procs) proc.child?.kill('SIGKILL');
  }

  private launch(proc: Supervised): void {
    const child = spawn(process.execPath, ['--enable-source-maps', proc.spec.entry], {
      cwd: this.options.root,
      env: this.options.env,
      stdio: 'inherit',
      detached: true,
    });
    proc.child = child;
    proc.startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (code === CONFIG_ERROR_EXIT) {
        this.options.log(`${proc.spec.name} has invalid configuration (see above); stopping everything`);
        this.exitCode = CONFIG_ERROR_EXIT;
        void this.stop().then((exit) => process.exit(exit));
        return;
      }
      if (Date.now() - proc.startedAt > HEALTHY_RUN_MS) proc.restarts = 0;
      const delay = RESTART_BACKOFF.delayMs(proc.restarts + 1);
      proc.restarts += 1;
      this.options.log(`${proc.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      proc.timer = setTimeout(() => this.launch(proc), delay);
    });
  }

  private async stopOne(proc: Supervised, signal: NodeJS.Signals): Promise<void> {
    const child = proc.child as ChildProcess;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => {
      this.options.log(`${proc.spec.name} did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
