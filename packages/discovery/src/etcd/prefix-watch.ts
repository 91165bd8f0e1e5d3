/**
 * watchPrefix: every key under a prefix, as a listing followed by changes,
 * through etcd restarts and dropped connections.
 *
 * - A range read gives the listing and its revision R; an etcd3 watcher
 *   follows from R+1. etcd3 reconnects a broken watch by itself and resumes
 *   after the last revision it heard of; events at or below the revision
 *   already delivered are dropped, so nothing is seen twice.
 * - A watch etcd cancels (its start revision was compacted away), or an etcd
 *   whose revision went backwards (its data was replaced), means history is
 *   lost: list again, after the RetryPolicy's backoff so that an etcd that
 *   keeps cancelling never makes a hot loop.
 * - While etcd is unreachable the handler hears `stale` and keeps what it has.
 */
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { sleep } from '@flotilla/resilience';
import { RetryPolicy } from '@flotilla/resilience';
import { RECONNECT_DELAYS } from './etcd-client.ts';

export interface PrefixEvent {
  type: 'put' | 'delete';
  kv: IKeyValue;
}

export interface PrefixWatchHandlers {
  /** A complete listing (first load, and after history was lost). */
  reset(kvs: IKeyValue[]): void;
  /** The changes of one watch response, in revision order. */
  events(events: PrefixEvent[]): void;
  /** `live` once the watch is established, `stale` while etcd cannot be reached. */
  status(status: 'live' | 'stale'): void;
}

export interface PrefixWatch {
  /** Stops following; resolves once etcd3 has let go of the watch, or after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

const backoff = new RetryPolicy(RECONNECT_DELAYS);

export function watchPrefix(client: () => Promise<Etcd3>, prefix: string, handlers: PrefixWatchHandlers): PrefixWatch {
  const closed = new AbortController();
  let delivered = 0;
  let failures = 0;
  let watcher: Watcher | undefined;

  const list = async (): Promise<Etcd3> => {
    const etcd = await client();
    const listing = await etcd.getAll().prefix(prefix).exec();
    if (!closed.signal.aborted) {
      delivered = Number(listing.header.revision);
      handlers.reset(listing.kvs);
    }
    return etcd;
  };

  /** Follows the changes after `delivered`; resolves when history is lost or the watch is closed. */
  const follow = (etcd: Etcd3): Promise<void> =>
    new Promise((done) => {
      const current = etcd
        .watch()
        .prefix(prefix)
        .startRevision(String(delivered + 1))
        .watcher();
      watcher = current;
      const onClose = (): void => done();
      const historyLost = (): void => {
        closed.signal.removeEventListener('abort', onClose);
        if (watcher === current) watcher = undefined;
        done();
      };
      current.on('connected', (response: IWatchResponse) => {
        if (closed.signal.aborted) return;
        if (Number(response.header.revision) < delivered) {
          // etcd lost its data (or is another cluster): our revision means nothing there
          void current.cancel().catch(() => undefined);
          return historyLost();
        }
        failures = 0;
        handlers.status('live');
      });
      current.on('disconnected', () => {
        if (!closed.signal.aborted) handlers.status('stale');
      });
      current.on('data', (response: IWatchResponse) => {
        if (closed.signal.aborted) return;
        const before = delivered;
        const fresh: PrefixEvent[] = [];
        for (const event of response.events) {
          const revision = Number(event.kv.mod_revision);
          if (revision <= before) continue; // delivered before a reconnect
          if (revision > delivered) delivered = revision;
          fresh.push({ type: String(event.type).toUpperCase() === 'DELETE' ? 'delete' : 'put', kv: event.kv });
        }
        if (fresh.length > 0) handlers.events(fresh);
      });
      // etcd cancelled the watch (e.g. compacted past our revision); etcd3 has already dropped it.
      current.on('error', historyLost);
      closed.signal.addEventListener('abort', onClose, { once: true });
    });

  void (async () => {
    while (!closed.signal.aborted) {
      try {
        const etcd = await list();
        if (closed.signal.aborted) break;
        await follow(etcd);
      } catch {
        if (!closed.signal.aborted) handlers.status('stale');
      }
      failures += 1;
      await sleep(backoff.backoffMs(failures + 1), closed.signal).catch(() => undefined);
    }
  })();

  return {
    close(timeoutMs) {
      closed.abort();
      const current = watcher;
      watcher = undefined;
      return current === undefined ? Promise.resolve() : cancelWithin(current, timeoutMs);
    },
  };
}

/** etcd3 lets go of a live watch once etcd confirms the cancel: not waited for longer than `ms`. */
function cancelWithin(watcher: Watcher, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    watcher.cancel().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
