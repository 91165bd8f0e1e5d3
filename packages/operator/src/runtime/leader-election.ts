// Leader election on a coordination.k8s.io/v1 Lease, after client-go's algorithm:
// a candidate takes the lease when it is free or when its record has not changed for
// leaseDuration (measured on our own clock from when we saw it change, so clock skew
// between replicas does not matter); the leader renews every retryPeriod and gives up
// when it could not renew within renewDeadline. release() frees the lease on shutdown,
// so a standby takes over at once instead of after the lease expires.
//
// Under load the renewal must not wait behind the operator's own writes: lease calls go
// over a connection of their own, and the leader renews with a single PUT of the lease it
// last wrote (a conflict means someone else wrote it: then it reads it again).
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { jittered, sleepUnlessAborted } from '@flotilla/core';
import { collectionPath, isConflict, isNotFound, type KubeClient, type KubeObject, objectPath, Resources } from '@flotilla/kube';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  masterStatus?: Gauge<'name'>;
}

/** MicroTime: RFC 3339 with microseconds, as the Lease API stores it. */
function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly client: KubeClient;
  private observed: { spec: LeaseSpec; at: number } | undefined;
  /** the lease as we last wrote it, while we lead */
  private written: Lease | undefined;
  private leader = false;
  private lastRenew = 0;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.client = options.client.withOwnConnections();
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error('renewDeadline must be shorter than leaseDuration');
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Waits until this candidate holds the lease; false if `signal` aborted first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.setLeader(true);
        this.options.log.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
        return true;
      }
      await sleepUnlessAborted(jittered(this.retryPeriodMs, 0.2), signal);
    }
    return false;
  }

  /**
   * Renews until leadership is lost (resolves 'lost') or `signal` aborts (resolves
   * 'stopped'). The caller must stop leading work when it resolves 'lost'.
   */
  async holdLeadership(signal: AbortSignal): Promise<'lost' | 'stopped'> {
    while (!signal.aborted) {
      await sleepUnlessAborted(this.retryPeriodMs, signal);
      if (signal.aborted) break;
      const renewed = await this.tryAcquireOrRenew();
      if (!renewed && Date.now() - this.lastRenew > this.renewDeadlineMs) {
        this.setLeader(false);
        this.options.log.error({ lease: this.options.name }, 'failed to renew the lease within the renew deadline; leadership lost');
        return 'lost';
      }
    }
    return 'stopped';
  }

  /** Gives the lease up (holder cleared) if we hold it, and closes the lease connection. */
  async release(): Promise<void> {
    try {
      await this.giveUp();
    } finally {
      await this.client.close();
    }
  }

  private async giveUp(): Promise<void> {
    if (!this.leader) return;
    this.setLeader(false);
    try {
      const lease = await this.get();
      if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime();
      await this.put({
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
      this.options.log.info({ lease: this.options.name }, 'released the lease');
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not release the lease');
    }
  }

  private setLeader(value: boolean): void {
    this.leader = value;
    if (!value) this.written = undefined;
    this.options.masterStatus?.set({ name: this.options.name }, value ? 1 : 0);
  }

  /** Every Lease call is bounded well inside the renew deadline, so a hung API server
   * cannot keep us believing we lead after a standby may have taken over. */
  private callTimeoutMs(): number {
    return Math.max(1000, Math.min(this.retryPeriodMs * 2, this.renewDeadlineMs / 2));
  }

  private async put(lease: Lease): Promise<Lease> {
    return await this.client.request<Lease>('PUT', objectPath(Resources.Lease, this.options.namespace, this.options.name), {
      body: lease,
      timeoutMs: this.callTimeoutMs(),
    });
  }

  private async get(): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>('GET', objectPath(Resources.Lease, this.options.namespace, this.options.name), {
        timeoutMs: this.callTimeoutMs(),
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The leader's renewal: one PUT of the lease it last wrote; undefined when that is unknown or stale. */
  private async renewWritten(now: number, leaseSeconds: number): Promise<boolean | undefined> {
    const written = this.written;
    if (!this.leader || !written) return undefined;
    try {
      const updated = await this.put({
        ...written,
        spec: { ...written.spec, holderIdentity: this.options.identity, leaseDurationSeconds: leaseSeconds, renewTime: microTime() },
      });
      this.observed = { spec: updated.spec ?? {}, at: now };
      this.written = updated;
      this.lastRenew = now;
      return true;
    } catch (error) {
      if (isConflict(error)) return undefined;
      this.options.log.warn({ err: error, lease: this.options.name }, 'lease renew failed');
      return false;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, log } = this.options;
    const client = this.client;
    const now = Date.now();
    const leaseSeconds = Math.round(this.leaseDurationMs / 1000);
    const renewed = await this.renewWritten(now, leaseSeconds);
    if (renewed !== undefined) return renewed;
    try {
      const lease = await this.get();
      if (!lease) {
        this.written = await client.request<Lease>('POST', collectionPath(Resources.Lease, namespace), {
          timeoutMs: this.callTimeoutMs(),
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: leaseSeconds,
              acquireTime: microTime(),
              renewTime: microTime(),
              leaseTransitions: 0,
            },
          } satisfies Lease,
        });
        this.lastRenew = now;
        return true;
      }
      const spec = lease.spec ?? {};
      if (!this.observed || this.observed.spec.holderIdentity !== spec.holderIdentity || this.observed.spec.renewTime !== spec.renewTime) {
        this.observed = { spec, at: now };
      }
      const held = !!spec.holderIdentity && spec.holderIdentity !== identity;
      const expiresAt = this.observed.at + (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
      if (held && expiresAt > now) return false;
      const ours = spec.holderIdentity === identity;
      const updated = await this.put({
        ...lease,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: leaseSeconds,
          acquireTime: ours && spec.acquireTime ? spec.acquireTime : microTime(),
          renewTime: microTime(),
          leaseTransitions: ours ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
        },
      });
      this.observed = { spec: updated.spec ?? {}, at: now };
      this.written = updated;
      this.lastRenew = now;
      return true;
    } catch (error) {
      if (!isConflict(error)) log.warn({ err: error, lease: name }, 'lease acquire/renew failed');
      return false;
    }
  }
}
