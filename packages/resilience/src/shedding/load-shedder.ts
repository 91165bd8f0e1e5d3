/**
 * LoadShedder: refuses new work early while the process is overloaded, so
 * the work it already accepted finishes in time instead of everything
 * timing out together.
 *
 * Pressure has two levels. Level 1: the event-loop delay p90 is above
 * `maxEventLoopDelayMs`, or `maxInFlight` requests are already running.
 * Level 2: twice either threshold. `low` work (the default) is shed from
 * level 1, `high` from level 2, `critical` never; paths under `neverShed`
 * (health, readiness, metrics, admin) never either.
 *
 * "Shedding" as a state (log lines, `flotilla_shed_active`) begins with the
 * first refused request and ends once none was refused for `windowMs`:
 * one line each way, however many requests are refused in between.
 */
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { EventLoopDelaySampler, type DelaySignal } from './event-loop-delay.ts';
import type { ShedPriority, SheddingSettings } from './settings.ts';

export type ShedReason = 'event-loop-delay' | 'in-flight';

export interface ShedVerdict {
  reason: ShedReason;
  retryAfterSeconds: number;
  /** 1: low-priority work is refused; 2: high-priority too. */
  level: 1 | 2;
}

export interface LoadShedderStatus {
  enabled: boolean;
  shedding: boolean;
  eventLoopDelayMs: number;
  inFlight: number;
  /** Requests refused since the process started. */
  shedTotal: number;
}

export type SheddingLogger = Pick<Logger, 'info' | 'warn'>;

export interface LoadShedderOptions {
  settings: SheddingSettings;
  metrics?: MetricsRegistry | undefined;
  logger?: SheddingLogger | undefined;
  /** Replaces the event-loop sampler (tests drive the delay directly). */
  delaySignal?: DelaySignal;
}

/** Something that emits `close` when a request is over (a ServerResponse). */
export interface Closable {
  on(event: 'close', listener: () => void): unknown;
}

/** The shedder counting a tracked response, on the response itself: one shared listener, no closure per request. */
const kTrackedBy = Symbol('flotilla.shedder');
type Tracked = Closable & { [kTrackedBy]?: LoadShedder | undefined };

export class LoadShedder {
  #settings: SheddingSettings;
  readonly #sampler: EventLoopDelaySampler | undefined;
  readonly #signal: DelaySignal;
  readonly #logger: SheddingLogger | undefined;
  readonly #shedCounter: Counter<'reason'> | undefined;
  readonly #activeGauge: Gauge | undefined;
  #inFlight = 0;
  #shedTotal = 0;
  /** Set while shedding: when the last refusal happened, and how many this episode. */
  #episode: { lastShedAt: number; count: number; reason: ShedReason } | undefined;
  #watch: NodeJS.Timeout | undefined;

  constructor(options: LoadShedderOptions) {
    this.#settings = options.settings;
    this.#logger = options.logger;
    if (options.delaySignal === undefined) {
      this.#sampler = new EventLoopDelaySampler({
        intervalMs: options.settings.sampleIntervalMs,
        windowMs: options.settings.windowMs,
      });
      this.#signal = this.#sampler;
    } else {
      this.#signal = options.delaySignal;
    }
    if (options.metrics !== undefined) {
      this.#shedCounter = options.metrics.counter({
        name: 'flotilla_shed_requests_total',
        help: 'Requests refused by load shedding (503), by the threshold that was passed.',
        labelNames: ['reason'],
      });
      this.#activeGauge = options.metrics.gauge({
        name: 'flotilla_shed_active',
        help: '1 while load shedding is refusing new low-priority work, else 0.',
      });
      this.#activeGauge.set(0);
      const signal = this.#signal;
      options.metrics.gauge({
        name: 'flotilla_shed_event_loop_delay_seconds',
        help: 'Event-loop delay (p90 over the shedding window) that load shedding compares with its threshold.',
        collect() {
          this.set(signal.delayMs() / 1_000);
        },
      });
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts sampling the event loop; call when the server starts listening. */
  start(): void {
    this.#sampler?.start();
  }

  stop(): void {
    this.#sampler?.stop();
    clearInterval(this.#watch);
    this.#watch = undefined;
  }

  /**
   * Whether a new request for `path` should be refused now. Undefined: admit it
   * (then count it with `track` or `begin`). A verdict is counted in the
   * metrics; the caller answers 503 with `Retry-After`.
   */
  shouldShed(path: string, priority: ShedPriority = 'low'): ShedVerdict | undefined {
    const settings = this.#settings;
    if (!settings.enabled || priority === 'critical') return undefined;
    const pressure = this.#pressure();
    if (pressure === undefined) return undefined;
    if (pressure.level === 1 && priority === 'high') return undefined;
    if (isNeverShed(path, settings.neverShed)) return undefined;
    const verdict: ShedVerdict = {
      reason: pressure.reason,
      level: pressure.level,
      retryAfterSeconds: settings.retryAfterSeconds,
    };
    this.#recordShed(verdict);
    return verdict;
  }

  /** Counts `response` as in flight until it emits `close`. */
  track(response: Closable): void {
    const tracked = response as Tracked;
    if (tracked[kTrackedBy] !== undefined) return;
    this.#inFlight++;
    tracked[kTrackedBy] = this;
    response.on('close', LoadShedder.#release);
  }

  /** The `close` listener of tracked responses; counts each once, even if it were emitted twice. */
  static readonly #release = function (this: Tracked): void {
    const shedder = this[kTrackedBy];
    if (shedder === undefined) return;
    this[kTrackedBy] = undefined;
    shedder.#inFlight--;
  };

  /** Counts one request as in flight; call the returned function (once) when it is over. */
  begin(): () => void {
    this.#inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inFlight--;
    };
  }

  /** Applies new settings at once (thresholds, windows, exempt paths). */
  update(settings: SheddingSettings): void {
    this.#settings = settings;
    this.#sampler?.reconfigure({ intervalMs: settings.sampleIntervalMs, windowMs: settings.windowMs });
  }

  status(): LoadShedderStatus {
    return {
      enabled: this.#settings.enabled,
      shedding: this.#episode !== undefined,
      eventLoopDelayMs: Math.round(this.#signal.delayMs()),
      inFlight: this.#inFlight,
      shedTotal: this.#shedTotal,
    };
  }

  #pressure(): { level: 1 | 2; reason: ShedReason } | undefined {
    const { maxEventLoopDelayMs, maxInFlight } = this.#settings;
    const delay = this.#signal.delayMs();
    const delayLevel = delay > 2 * maxEventLoopDelayMs ? 2 : delay > maxEventLoopDelayMs ? 1 : 0;
    const inFlightLevel = maxInFlight === 0 ? 0 : this.#inFlight >= 2 * maxInFlight ? 2 : this.#inFlight >= maxInFlight ? 1 : 0;
    if (delayLevel === 0 && inFlightLevel === 0) return undefined;
    return delayLevel >= inFlightLevel
      ? { level: delayLevel as 1 | 2, reason: 'event-loop-delay' }
      : { level: inFlightLevel as 1 | 2, reason: 'in-flight' };
  }

  #recordShed(verdict: ShedVerdict): void {
    this.#shedTotal++;
    this.#shedCounter?.labels({ reason: verdict.reason }).inc();
    const now = performance.now();
    if (this.#episode !== undefined) {
      this.#episode.lastShedAt = now;
      this.#episode.count++;
      return;
    }
    this.#episode = { lastShedAt: now, count: 1, reason: verdict.reason };
    this.#activeGauge?.set(1);
    this.#logger?.warn(
      {
        event: { action: 'load-shedding-started', reason: verdict.reason },
        labels: {
          event_loop_delay_ms: Math.round(this.#signal.delayMs()),
          in_flight: this.#inFlight,
          level: verdict.level,
        },
      },
      `overloaded (${verdict.reason === 'event-loop-delay' ? `event-loop delay ${Math.round(this.#signal.delayMs())} ms` : `${this.#inFlight} requests in flight`}): shedding new ${verdict.level === 2 ? 'low- and high' : 'low'}-priority requests`,
    );
    // Ends the episode once no request has been refused for a whole window.
    this.#watch = setInterval(() => this.#checkEpisodeOver(), Math.max(50, Math.floor(this.#settings.windowMs / 4)));
    this.#watch.unref();
  }

  #checkEpisodeOver(): void {
    const episode = this.#episode;
    if (episode === undefined || performance.now() - episode.lastShedAt < this.#settings.windowMs) return;
    this.#episode = undefined;
    clearInterval(this.#watch);
    this.#watch = undefined;
    this.#activeGauge?.set(0);
    this.#logger?.info(
      { event: { action: 'load-shedding-stopped' }, labels: { shed_requests: episode.count } },
      `load back to normal: stopped shedding after refusing ${episode.count} request(s)`,
    );
  }
}

/** `path` is one of `roots` or below one (`/admin` covers `/admin/limits`); the query string is ignored. */
export function isNeverShed(path: string, roots: readonly string[]): boolean {
  const query = path.indexOf('?');
  const bare = query === -1 ? path : path.slice(0, query);
  for (const root of roots) {
    if (bare === root) return true;
    const prefix = root.endsWith('/') ? root : `${root}/`;
    if (bare.startsWith(prefix)) return true;
  }
  return false;
}
