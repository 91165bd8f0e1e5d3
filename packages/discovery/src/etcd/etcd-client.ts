/**
 * The etcd3 client of the discovery backend: endpoints, TLS and password
 * authentication from settings, a deadline on every unary call (streams have
 * none), and reconnects tuned so a watch is live again soon after etcd is
 * back. etcd3 is loaded on first use, so services on another backend never
 * load it.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Etcd3, IOptions } from 'etcd3';

/** Waits between attempts to reach etcd again (watches, keepalives, registration): full jitter, 100 ms doubling to 2 s. */
export const RECONNECT_DELAYS = { baseDelayMs: 100, maxDelayMs: 2000 } as const;

export interface EtcdTlsFiles {
  /** PEM bundle of the CA that signed etcd's certificate (default: Node's bundled root CAs). */
  caFile?: string;
  /** Client certificate (PEM), for an etcd that checks client certificates; needs `keyFile`. */
  certFile?: string;
  /** The client certificate's private key (PEM). */
  keyFile?: string;
}

export interface EtcdCredentials {
  username: string;
  password: string;
}

export interface EtcdClientOptions {
  /** `http://host:port`, or `https://host:port` for TLS; one per member. */
  endpoints: string[];
  /** Deadline of each unary call (default 3000). */
  callTimeoutMs?: number;
  /** For an etcd with authentication on. */
  auth?: EtcdCredentials;
  /** Files for https:// endpoints; without them the server is checked against Node's root CAs. */
  tls?: EtcdTlsFiles;
}

/** The client's settings, checked, with the TLS files read now: a wrong path fails at start-up, not at the first call. */
export function etcdClientSettings(options: EtcdClientOptions): IOptions {
  const hosts = options.endpoints.map((endpoint) => endpoint.trim().replace(/\/+$/, '')).filter((endpoint) => endpoint !== '');
  if (hosts.length === 0) throw new Error('etcd: at least one endpoint is required');
  const secure = hosts.filter((host) => host.startsWith('https://')).length;
  if (secure !== 0 && secure !== hosts.length) throw new Error(`etcd endpoints ${hosts.join(',')}: either all https:// or none`);
  if (options.tls !== undefined && secure === 0)
    throw new Error(`etcd endpoints ${hosts.join(',')}: TLS files are set, so the endpoints must be https://`);
  const callTimeoutMs = options.callTimeoutMs ?? 3000;
  return {
    hosts,
    ...(options.tls === undefined ? {} : { credentials: tlsCredentials(options.tls) }),
    ...(options.auth === undefined ? {} : { auth: { username: options.auth.username, password: options.auth.password } }),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
      'grpc.keepalive_time_ms': 10_000, // etcd refuses pings more often than every 5 s
      'grpc.keepalive_timeout_ms': 5_000,
    },
  };
}

/**
 * A client on `settings`. etcd3's defaults would keep a member's circuit open
 * for 5 s and back a broken watch off up to 30 s; after an outage that is
 * how long instance sets would stay stale, so both are shortened.
 */
export async function openEtcd(settings: IOptions): Promise<Etcd3> {
  const [{ Etcd3, isRecoverableError }, { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen }] = await Promise.all([
    import('etcd3'),
    import('cockatiel'),
  ]);
  return new Etcd3({
    ...settings,
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
      // etcd3 takes .next() of it each time a watch connects: the first retry then waits about initialDelay
      watchBackoff: new ExponentialBackoff({
        initialDelay: RECONNECT_DELAYS.baseDelayMs,
        maxDelay: RECONNECT_DELAYS.maxDelayMs,
      }).next(),
    },
  });
}

function tlsCredentials(tls: EtcdTlsFiles): NonNullable<IOptions['credentials']> {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new Error('etcd TLS: certFile and keyFile go together');
  return {
    rootCertificate: tls.caFile === undefined ? Buffer.from(rootCertificates.join('\n')) : readPem('caFile', tls.caFile),
    ...(tls.certFile === undefined || tls.keyFile === undefined
      ? {}
      : { certChain: readPem('certFile', tls.certFile), privateKey: readPem('keyFile', tls.keyFile) }),
  };
}

function readPem(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`etcd TLS ${setting}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      cause: error,
    });
  }
}
