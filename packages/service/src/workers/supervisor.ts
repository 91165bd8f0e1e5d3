/**
 * The workers of a process group, kept at their number by the primary
 * (Node's `cluster`: the primary holds the listening sockets and hands each
 * new connection to a worker in turn).
 *
 * - Start: every worker at once; the group is ready when all are. One that
 *   exits first fails the start (its exit code tells why: 78 bad config).
 * - A worker that dies is replaced at once, then with a doubling delay while
 *   its replacements keep dying young (100 ms … 30 s); the others serve
 *   meanwhile.
 * - Rolling restart: slot by slot, a new worker starts; once it is ready the
 *   old one leaves (no new connections, clients asked to reconnect, then
 *   drained), and only then the next slot. A new worker that fails to start
 *   stops the roll; the old ones keep serving.
 * - Stop: every worker drains at once; a worker that outlives its bound is
 *   killed.
 */
import type { Worker } from 'node:cluster';
import type { Logger } from '@flotilla/telemetry';
import { GroupMetrics, type MetricsMember } from './group-metrics.ts';
import { isToPrimary, type MetricsSnapshot, type StopMode, type ToWorker, WORKER_SLOT_ENV, type WorkerListeners } from './messages.ts';
import { nodeCluster } from './node-cluster.ts';

export interface SupervisorOptions {
  count: number;
  logger: Logger;
  /** `shutdown.timeoutMs`: a worker's drain bound, from which the primary's own bounds follow. */
  shutdownTimeoutMs: number;
}

/** Why the group could not start: a worker exited before it was ready. */
export class GroupStartError extends Error {
  readonly exitCode: number | null;
  constructor(slot: number, exitCode: number | null, signal: string | null) {
    super(`worker ${slot} exited before it was ready (${signal ?? `exit code ${exitCode}`})`);
    this.exitCode = exitCode;
  }
}

type Exit = { code: number | null; signal: string | null };

/** Time a worker gets past its own drain bound before it is killed. */
const STOP_MARGIN_MS = 10_000;
/** Replacing a worker that kept serving this long starts the delays over. */
const HEALTHY_AFTER_MS = 10_000;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 30_000;

class Member implements MetricsMember {
  readonly worker: Worker;
  readonly slot: number;
  ready = false;
  readyAt = 0;
  stopRequested = false;
  lastSnapshot: MetricsSnapshot | undefined;
  retired = false;
  listeners: WorkerListeners | undefined;
  /** Resolves 'ready', or with the exit if it came first. */
  readonly outcome: Promise<'ready' | Exit>;
  readonly exited: Promise<Exit>;
  #becameReady: () => void = () => undefined;

  constructor(worker: Worker, slot: number) {
    this.worker = worker;
    this.slot = slot;
    this.exited = new Promise((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
    const ready = new Promise<'ready'>((resolve) => (this.#becameReady = () => resolve('ready')));
    this.outcome = Promise.race([ready, this.exited]);
  }

  get pid(): number | undefined {
    return this.worker.process.pid;
  }

  get alive(): boolean {
    return this.worker.process.exitCode === null && this.worker.process.signalCode === null;
  }

  get answering(): boolean {
    return this.ready && this.worker.isConnected();
  }

  markReady(listeners: WorkerListeners): void {
    this.ready = true;
    this.readyAt = performance.now();
    this.listeners = listeners;
    this.#becameReady();
  }

  send(message: ToWorker): void {
    try {
      if (this.worker.isConnected()) this.worker.send(message);
    } catch {
      // Gone in the meantime: its exit is handled.
    }
  }
}

export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #log: Logger;
  /** The worker serving each slot (1…N). */
  readonly #slots = new Map<number, Member>();
  /** Every worker process alive, including one leaving and one starting to take its place. */
  readonly #live = new Set<Member>();
  readonly #failures = new Map<number, number>();
  readonly #metrics = new GroupMetrics();
  #ready = false;
  #stopping = false;
  #rolling = false;
  #rollAgain = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** Listeners of a ready worker (they are the group's: the primary shares the sockets). */
  get listeners(): WorkerListeners | undefined {
    for (const member of this.#slots.values()) if (member.listeners !== undefined) return member.listeners;
    return undefined;
  }

  /** Starts every worker; resolves once all are ready, rejects with GroupStartError when one exits first. */
  async start(): Promise<void> {
    const members = Array.from({ length: this.#options.count }, (_, i) => this.#fork(i + 1));
    for (const member of members) this.#slots.set(member.slot, member);
    try {
      await Promise.all(
        members.map(async (member) => {
          const outcome = await member.outcome;
          if (outcome !== 'ready') throw new GroupStartError(member.slot, outcome.code, outcome.signal);
        }),
      );
    } catch (error) {
      await this.#stopAll('group');
      throw error;
    }
    this.#ready = true;
  }

  /** Replaces every worker, one at a time, each new one ready before its old one leaves. */
  async roll(): Promise<void> {
    if (!this.#ready || this.#stopping) return;
    if (this.#rolling) {
      this.#rollAgain = true;
      this.#log.info({ event: { action: 'rolling-restart-queued' } }, 'a rolling restart is under way; another follows it');
      return;
    }
    this.#rolling = true;
    this.#log.info({ event: { action: 'rolling-restart' } }, `rolling restart of ${this.#slots.size} workers`);
    try {
      for (const slot of [...this.#slots.keys()].sort((a, b) => a - b)) {
        if (this.#stopping) return;
        const fresh = this.#fork(slot);
        const outcome = await fresh.outcome;
        if (outcome !== 'ready') {
          this.#log.error(
            { event: { action: 'rolling-restart-failed' }, labels: { worker: slot } },
            `rolling restart stopped: the new worker ${slot} exited before it was ready (${describeExit(outcome)}); the others keep serving`,
          );
          return;
        }
        if (this.#stopping) return;
        const previous = this.#slots.get(slot);
        this.#slots.set(slot, fresh);
        if (previous?.alive) await this.#leave(previous);
      }
      this.#log.info({ event: { action: 'rolling-restart-done' } }, `rolling restart done: ${this.#slots.size} new workers`);
    } finally {
      this.#rolling = false;
      if (this.#rollAgain && !this.#stopping) {
        this.#rollAgain = false;
        void this.roll();
      }
    }
  }

  /** Every worker drains at once (each as on its own SIGTERM); resolves when all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#stopAll('group');
  }

  /** SIGKILL to every worker: a second signal, or a bound passed. */
  kill(): void {
    for (const member of this.#live) member.worker.process.kill('SIGKILL');
  }

  #fork(slot: number): Member {
    const worker = nodeCluster().fork({ [WORKER_SLOT_ENV]: String(slot) });
    const member = new Member(worker, slot);
    this.#live.add(member);
    worker.on('message', (message: unknown) => this.#onMessage(member, message));
    // A worker that fails to send or dies mid-message: its 'exit' follows and is what counts.
    worker.on('error', () => undefined);
    void member.exited.then((exit) => this.#onExit(member, exit));
    return member;
  }

  #onMessage(member: Member, message: unknown): void {
    if (!isToPrimary(message)) return;
    switch (message.flotilla) {
      case 'ready':
        member.markReady(message.listeners);
        this.#log.info(
          { event: { action: 'worker-ready' }, labels: { worker: member.slot, worker_pid: member.pid } },
          `worker ${member.slot} ready (pid ${member.pid})`,
        );
        break;
      case 'metrics':
        this.#metrics.answered(member, message.id, message.metrics);
        break;
      case 'final-metrics':
        this.#metrics.final(member, message.metrics);
        break;
      case 'ask-group-metrics':
        this.#metrics.collect(this.#live).then(
          (text) => member.send({ flotilla: 'group-metrics', id: message.id, text }),
          (error: unknown) => member.send({ flotilla: 'group-metrics', id: message.id, error: String(error) }),
        );
        break;
    }
  }

  #onExit(member: Member, exit: Exit): void {
    this.#live.delete(member);
    this.#metrics.gone(member);
    // Before it was ready, whoever started it is waiting on its outcome; asked to stop, it did.
    if (!member.ready || member.stopRequested || this.#stopping) return;
    this.#log.warn(
      { event: { action: 'worker-exited' }, labels: { worker: member.slot, worker_pid: member.pid } },
      `worker ${member.slot} (pid ${member.pid}) exited (${describeExit(exit)}); replacing it`,
    );
    if (this.#slots.get(member.slot) === member) void this.#refill(member);
  }

  /** Puts a new worker in the slot `crashed` left, retrying with a doubling delay while they fail. */
  async #refill(crashed: Member): Promise<void> {
    const slot = crashed.slot;
    let failures = performance.now() - crashed.readyAt >= HEALTHY_AFTER_MS ? 0 : (this.#failures.get(slot) ?? 0);
    for (;;) {
      // The first replacement at once; then 100 ms, 200 ms, … 30 s.
      const delay = failures === 0 ? 0 : Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1));
      this.#failures.set(slot, failures + 1);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.#stopping) return;
      const fresh = this.#fork(slot);
      const outcome = await fresh.outcome;
      if (outcome === 'ready') {
        if (this.#slots.get(slot) === crashed) {
          this.#slots.set(slot, fresh);
          this.#log.info(
            { event: { action: 'worker-replaced' }, labels: { worker: slot, worker_pid: fresh.pid } },
            `worker ${slot} replaced (pid ${fresh.pid})`,
          );
        } else {
          // A rolling restart filled the slot meanwhile.
          void this.#leave(fresh);
        }
        return;
      }
      failures += 1;
      this.#log.error(
        { event: { action: 'worker-start-failed' }, labels: { worker: slot } },
        `a new worker ${slot} exited before it was ready (${describeExit(outcome)}); trying again`,
      );
    }
  }

  /** One worker leaves while the others serve (bounded: quiesce and drain, each within shutdown.timeoutMs). */
  async #leave(member: Member): Promise<void> {
    await this.#stopMember(member, 'leave', 2 * this.#options.shutdownTimeoutMs + STOP_MARGIN_MS);
  }

  async #stopAll(mode: StopMode): Promise<void> {
    await Promise.all([...this.#live].map((member) => this.#stopMember(member, mode, this.#options.shutdownTimeoutMs + STOP_MARGIN_MS)));
  }

  async #stopMember(member: Member, mode: StopMode, boundMs: number): Promise<void> {
    member.stopRequested = true;
    if (!member.alive) return;
    // A worker still starting has no handler for messages yet, and nothing to drain.
    if (member.ready) member.send({ flotilla: 'stop', mode });
    else member.worker.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outlived = new Promise<'outlived'>((resolve) => (timer = setTimeout(() => resolve('outlived'), boundMs)));
    const outcome = await Promise.race([member.exited, outlived]);
    clearTimeout(timer);
    if (outcome === 'outlived') {
      this.#log.warn(
        { event: { action: 'worker-killed' }, labels: { worker: member.slot, worker_pid: member.pid } },
        `worker ${member.slot} (pid ${member.pid}) still running ${boundMs} ms after it was asked to stop; killing it`,
      );
      member.worker.process.kill('SIGKILL');
      await member.exited;
    }
  }
}

function describeExit(exit: Exit): string {
  return exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
}
