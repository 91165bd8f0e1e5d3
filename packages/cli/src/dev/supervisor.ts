/**
 * A small process supervisor for local runs: starts each service as its own
 * process, restarts a crashed one with exponential backoff, and on a signal
 * stops them all gracefully (a second one kills at once).
 *
 * Children run in their own process group so a terminal Ctrl-C reaches only
 * the supervisor, which then sends each child exactly one SIGTERM. Each child
 * also gets an IPC channel it never uses for messages: when the supervisor
 * dies in a way it cannot handle (SIGKILL, a crash), the channel closes and
 * the child stops itself (`runMain` in @flotilla/service), so no process
 * outlives its supervisor. Their stdout and stderr are read line by line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { BackoffPolicy } from '@flotilla/core';
import type { SupervisorLevel } from './output.ts';
import { entryArguments, type ProcessSpec } from './processes.ts';

const CONFIG_ERROR_EXIT = 78;
/** 0.5 s doubling to 30 s; no jitter, the one supervisor restarts its own children. */
const RESTART_BACKOFF = new BackoffPolicy({ initialMs: 500, maxMs: 30_000, jitter: 'none' });
const HEALTHY_RUN_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
/** After exit, how long the last lines a child wrote may take to be read. */
const OUTPUT_DRAIN_MS = 1_000;

interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess | undefined;
  restarts: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface SupervisorOptions {
  root: string;
  /** The environment of one process. */
  envFor: (spec: ProcessSpec) => NodeJS.ProcessEnv;
  log: (message: string, level?: SupervisorLevel) => void;
  /** One line the process wrote on stdout / stderr. */
  stdoutLine: (name: string, line: string) => void;
  stderrLine: (name: string, line: string) => void;
  /** Called once everything has stopped because a process reported invalid configuration. */
  onFatal: () => void;
}

export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly procs: Supervised[];
  private stopping = false;

  constructor(specs: ProcessSpec[], options: SupervisorOptions) {
    this.options = options;
    this.procs = specs.map((spec) => ({ spec, child: undefined, restarts: 0, startedAt: 0, timer: undefined }));
  }

  start(): void {
    for (const proc of this.procs) this.launch(proc);
  }

  /** Resolves once every child has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    for (const proc of this.procs) clearTimeout(proc.timer);
    const alive = this.procs.filter((p) => p.child !== undefined && p.child.exitCode === null && p.child.signalCode === null);
    await Promise.all(alive.map((proc) => this.stopOne(proc, signal)));
  }

  kill(): void {
    this.stopping = true;
    for (const proc of this.procs) {
      clearTimeout(proc.timer);
      proc.child?.kill('SIGKILL');
    }
  }

  private launch(proc: Supervised): void {
    const { spec } = proc;
    const child = spawn(process.execPath, entryArguments(spec), {
      cwd: this.options.root,
      env: this.options.envFor(spec),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    proc.child = child;
    proc.startedAt = Date.now();
    createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity }).on('line', (line) =>
      this.options.stdoutLine(spec.name, line),
    );
    createInterface({ input: child.stderr as NodeJS.ReadableStream, crlfDelay: Infinity }).on('line', (line) =>
      this.options.stderrLine(spec.name, line),
    );
    child.on('error', (error) => this.options.log(`${spec.name} could not be started: ${error.message}`, 'error'));
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (code === CONFIG_ERROR_EXIT) {
        this.options.log(`${spec.name} has invalid configuration (see above); stopping everything`, 'error');
        void this.stop().then(() => this.options.onFatal());
        return;
      }
      if (Date.now() - proc.startedAt > HEALTHY_RUN_MS) proc.restarts = 0;
      const delay = RESTART_BACKOFF.delayMs(proc.restarts + 1);
      proc.restarts += 1;
      this.options.log(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`, 'warn');
      proc.timer = setTimeout(() => this.launch(proc), delay);
    });
  }

  private async stopOne(proc: Supervised, signal: NodeJS.Signals): Promise<void> {
    const child = proc.child as ChildProcess;
    const exited = once(child, 'exit');
    const closed = once(child, 'close');
    child.kill(signal);
    const timer = setTimeout(() => {
      this.options.log(`${proc.spec.name} did not stop within ${STOP_TIMEOUT_MS} ms; killing it`, 'warn');
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS).unref())]);
  }
}
