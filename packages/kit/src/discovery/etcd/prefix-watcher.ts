/**
 * watchPrefix: follows every key under a prefix, as a full listing followed by
 * changes, through etcd restarts and dropped connections.
 *
 * - First a Range gives the listing and its revision R; the watch starts at R+1.
 * - `lastRevision` advances with each event's mod_revision (and with progress
 *   notifications); a new stream resumes at lastRevision+1, and events at or
 *   below lastRevision are dropped, so nothing is missed or seen twice.
 * - A compacted start revision, or an etcd whose revision went backwards (its
 *   data was replaced), triggers a fresh listing instead.
 * - While etcd is unreachable the handler hears `stale` and keeps what it has.
 */
import { decodeKeyValue, prefixEnd, type EtcdClient, type KeyValue, type RawWatchResponse, type WatchStream } from './client.ts';
import { Backoff, Sleeper } from './sleep.ts';

export interface PrefixEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
}

export interface PrefixWatchHandlers {
  /** A complete listing at `revision` (first load, and after history was lost). */
  reset(kvs: KeyValue[], revision: number): void;
  /** Changes of one watch response, in revision order. */
  events(events: PrefixEvent[], revision: number): void;
  /** `live` once a watch stream is established, `stale` while etcd cannot be reached. */
  status(status: 'live' | 'stale'): void;
}

export interface PrefixWatch {
  /** The revision everything up to has been delivered. */
  readonly revision: number;
  close(): void;
}

export interface PrefixWatchOptions {
  retryMinMs?: number;
  retryMaxMs?: number;
}

export function watchPrefix(
  client: EtcdClient,
  prefix: string,
  handlers: PrefixWatchHandlers,
  options: PrefixWatchOptions = {},
): PrefixWatch {
  const backoff = new Backoff(options.retryMinMs ?? 100, options.retryMaxMs ?? 2000);
  const sleeper = new Sleeper();
  let closed = false;
  let lastRevision = 0;
  let needListing = true;
  let stream: WatchStream | undefined;

  /** Runs one watch stream until it breaks or must be replaced. */
  const follow = (): Promise<'broken' | 'relist'> =>
    new Promise((done) => {
      const current = client.watchStream();
      stream = current;
      const finish = (): void => {
        current.removeAllListeners('data');
        current.cancel();
        done(needListing ? 'relist' : 'broken');
      };
      current.on('data', (response: RawWatchResponse) => {
        const headerRevision = Number(response.header?.revision ?? 0);
        if (response.created) {
          if (headerRevision < lastRevision) {
            needListing = true; // etcd lost its data (or is another cluster): our revision means nothing there
            return finish();
          }
          backoff.reset();
          handlers.status('live');
          return;
        }
        if (response.canceled) {
          needListing = true; // compacted past our revision (compact_revision > 0), or refused: list again
          return finish();
        }
        if (response.events.length === 0) {
          if (headerRevision > lastRevision) lastRevision = headerRevision; // progress notification
          return;
        }
        const fresh: PrefixEvent[] = [];
        let newest = lastRevision;
        for (const event of response.events) {
          if (event.kv === null) continue;
          const kv = decodeKeyValue(event.kv);
          if (kv.modRevision <= lastRevision) continue; // already delivered before a reconnect
          fresh.push({ type: event.type === 'DELETE' ? 'delete' : 'put', kv });
          if (kv.modRevision > newest) newest = kv.modRevision;
        }
        lastRevision = newest;
        if (fresh.length > 0) handlers.events(fresh, lastRevision);
      });
      current.on('error', finish); // includes our own cancel(); harmless
      current.on('end', finish);
      current.write({
        create_request: {
          key: Buffer.from(prefix),
          range_end: prefixEnd(prefix),
          start_revision: String(lastRevision + 1),
          progress_notify: true,
        },
      });
    });

  void (async () => {
    while (!closed) {
      try {
        if (needListing) {
          const { revision, kvs } = await client.range(prefix, { prefix: true });
          if (closed) break;
          lastRevision = revision;
          needListing = false;
          handlers.reset(kvs, revision);
        }
        if ((await follow()) === 'relist') {
          await sleeper.sleep(backoff.next()); // not stale, but never a hot loop if etcd keeps cancelling
          continue;
        }
      } catch {
        // etcd unreachable: fall through to the backoff
      }
      if (closed) break;
      handlers.status('stale');
      await sleeper.sleep(backoff.next());
    }
  })();

  return {
    get revision() {
      return lastRevision;
    },
    close() {
      closed = true;
      sleeper.wake();
      stream?.cancel();
    },
  };
}
