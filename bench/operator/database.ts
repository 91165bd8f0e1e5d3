// Database reconcile latency without the database server's own time: N Databases created
// at once on the harness's PostgreSQL, reconciled by the Database controller in this
// process, each reconcile timed whole and, separately, inside the driver (every call into
// pg: connect, statements, the login check). Reported: p50 / p99 of the whole, of the
// driver time, and of the whole minus the driver time.
//
// The second pass (--server instant) swaps the driver for one that answers at once, so
// the reconcile is only the operator's own work and the API server's.
//
//   node scripts/test-services/cli.ts run --only postgres -- \
//     node --conditions=@flotilla/source bench/operator/database.ts [--count 100] [--workers 2] [--server both|postgres|instant]
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import type { Reconciler } from '../../packages/operator/src/runtime/controller.ts';
import { EventRecorder } from '../../packages/operator/src/runtime/events.ts';
import { createOperatorMetrics } from '../../packages/operator/src/runtime/metrics.ts';
import { DatabaseResource, databaseCrd } from '../../packages/operator/src/database/crd.ts';
import type { Database } from '../../packages/operator/src/database/types.ts';
import { createDatabaseController } from '../../packages/operator/src/database/controller.ts';
import { postgresDriver } from '../../packages/operator/src/database/postgres.ts';
import type { ServerDriver, ServerSession } from '../../packages/operator/src/database/server.ts';
import { startKubeControlPlane } from '../../scripts/test-services/kube.ts';
import { loadAverage } from './machine.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100' },
    workers: { type: 'string', default: '2' },
    server: { type: 'string', default: 'both' },
  },
});
const COUNT = Number(values.count);
const WORKERS = Number(values.workers);
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const adminUrl = process.env.FLOTILLA_TEST_POSTGRES_URL;
if (values.server !== 'instant' && !adminUrl)
  throw new Error('FLOTILLA_TEST_POSTGRES_URL is not set: run under scripts/test-services/cli.ts --only postgres');

interface Timing {
  sqlMs: number;
  kubeMs: number;
  kubeCalls: string[];
}
const current = new AsyncLocalStorage<Timing>();

/** Adds the time spent in `work` to the running reconcile's driver time. */
async function timed<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const timing = current.getStore();
    if (timing) timing.sqlMs += performance.now() - started;
  }
}

/** The API client the controller gets: every request timed as API server time of the running reconcile. */
class TimedKubeClient extends KubeClient {
  override async request<T>(
    method: Parameters<KubeClient['request']>[0],
    path: string,
    options?: Parameters<KubeClient['request']>[2],
  ): Promise<T> {
    const started = performance.now();
    try {
      return await super.request<T>(method, path, options);
    } finally {
      const timing = current.getStore();
      if (timing) {
        const ms = performance.now() - started;
        timing.kubeMs += ms;
        timing.kubeCalls.push(`${method} ${path.split('/').slice(-2).join('/')} ${ms.toFixed(0)}`);
      }
    }
  }
}

/** `driver` with every call timed as driver time. */
function timedDriver(driver: ServerDriver): ServerDriver {
  const wrap = (session: ServerSession): ServerSession => ({
    version: session.version,
    lock: (name) => timed(() => session.lock(name)),
    facts: (name) => timed(() => session.facts(name)),
    provision: (name, mark, password) => timed(() => session.provision(name, mark, password)),
    setPassword: (name, password) => timed(() => session.setPassword(name, password)),
    drop: (name, what) => timed(() => session.drop(name, what)),
    close: () => timed(() => session.close()),
  });
  return {
    open: async (server, options) => wrap(await timed(() => driver.open(server, options))),
    canLogIn: (server, name, password, options) => timed(() => driver.canLogIn(server, name, password, options)),
  };
}

/** A server that answers at once and says yes: no database work at all. */
const instantDriver: ServerDriver = {
  async open() {
    return {
      version: 'instant',
      lock: async () => {},
      facts: async () => ({ database: { exists: false, mark: null }, role: { exists: false, mark: null } }),
      provision: async () => {},
      setPassword: async () => {},
      drop: async () => {},
      close: async () => {},
    };
  },
  canLogIn: async () => true,
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

interface Samples {
  count: number;
  whole: number[];
  sql: number[];
  other: number[];
  kube: number[];
  rest: number[];
}

interface PassResult {
  server: string;
  wallS: number;
  provisioning: Samples;
  deleting: Samples;
  loads: string;
}

async function pass(client: KubeClient, timedClient: KubeClient, server: 'postgres' | 'instant', dsn: string): Promise<PassResult> {
  const namespace = `dbbench-${server}`;
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'pg-admin', namespace },
    type: 'Opaque',
    stringData: { dsn },
  } as KubeObject);
  const metrics = createOperatorMetrics();
  const quiet = pino({ level: 'silent' });
  const events = new EventRecorder(client, 'flotilla-operator', 'bench', quiet);
  const databases = createDatabaseController({
    client: timedClient,
    log: quiet,
    metrics,
    events,
    namespace,
    workers: WORKERS,
    reconciler: { drivers: { postgresql: timedDriver(server === 'instant' ? instantDriver : postgresDriver), mysql: instantDriver } },
  });
  const samples: { whole: number; sql: number; kube: number; calls: string[]; deleting: boolean }[] = [];
  const timedReconciler: Reconciler = {
    async reconcile(request, signal) {
      const deleting = !!databases.controller.primary.cache.get(request.key)?.metadata.deletionTimestamp;
      const timing: Timing = { sqlMs: 0, kubeMs: 0, kubeCalls: [] };
      const started = performance.now();
      try {
        return await current.run(timing, () => databases.reconciler.reconcile(request, signal));
      } finally {
        samples.push({ whole: performance.now() - started, sql: timing.sqlMs, kube: timing.kubeMs, calls: timing.kubeCalls, deleting });
      }
    },
  };
  databases.startInformers();
  const loadAtStart = loadAverage();
  const names = Array.from({ length: COUNT }, (_, i) => `bench${String(i).padStart(4, '0')}_${server}`);
  const began = Date.now();
  const working = databases.controller.startWorkers(timedReconciler);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < names.length) {
        const databaseName = names[next++]!;
        await client.create<Database>(DatabaseResource, {
          apiVersion: 'flotilla.dev/v1alpha1',
          kind: 'Database',
          metadata: { name: databaseName.replaceAll('_', '-'), namespace },
          spec: { engine: 'postgresql', server: { secretRef: { name: 'pg-admin' } }, databaseName, deletionPolicy: 'Delete' },
        });
      }
    }),
  );
  // Every Database Ready (from the controller's cache: each status write comes back through it).
  for (;;) {
    const ready = databases.controller.primary.cache
      .list()
      .filter((db) => (db as Database).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready === COUNT) break;
    if (Date.now() - began > 900_000) throw new Error(`only ${ready}/${COUNT} Databases Ready after 900 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const wallS = (Date.now() - began) / 1000;
  const loads = `${loadAtStart} / ${loadAverage()}`;
  // Clean up through the controller: Delete drops each database and role on the server.
  await client.request('DELETE', `/apis/flotilla.dev/v1alpha1/namespaces/${namespace}/databases`);
  for (;;) {
    if (databases.controller.primary.cache.size === 0) break;
    if (Date.now() - began > 1_800_000) throw new Error('Databases are not gone after 1800 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  await databases.stop();
  await working;
  await client.delete(Resources.Namespace, undefined, namespace);
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const of = (deleting: boolean) => {
    const chosen = samples.filter((s) => s.deleting === deleting);
    const slowest = [...chosen].sort((a, b) => b.whole - b.sql - (a.whole - a.sql))[0];
    if (slowest)
      log(
        `${server}, ${deleting ? 'deleting' : 'provisioning'}: slowest without the driver ${(slowest.whole - slowest.sql).toFixed(0)} ms, API calls: ${slowest.calls.join(', ')}`,
      );
    return {
      count: chosen.length,
      whole: sorted(chosen.map((s) => s.whole)),
      sql: sorted(chosen.map((s) => s.sql)),
      other: sorted(chosen.map((s) => s.whole - s.sql)),
      kube: sorted(chosen.map((s) => s.kube)),
      rest: sorted(chosen.map((s) => s.whole - s.sql - s.kube)),
    };
  };
  return { server, wallS, provisioning: of(false), deleting: of(true), loads };
}

const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-database-'));
const plane = await startKubeControlPlane({ dir, log });
const client = new KubeClient(loadKubeconfig(plane.kubeconfig), { connections: 32 });
const timedClient = new TimedKubeClient(loadKubeconfig(plane.kubeconfig));
try {
  await client.apply(Resources.CustomResourceDefinition, databaseCrd() as unknown as KubeObject);
  await new Promise((r) => setTimeout(r, 2000));
  const servers = values.server === 'both' ? (['postgres', 'instant'] as const) : ([values.server] as ('postgres' | 'instant')[]);
  const results: PassResult[] = [];
  for (const server of servers) {
    log(`${COUNT} Databases on the ${server} server, ${WORKERS} workers`);
    results.push(await pass(client, timedClient, server, server === 'instant' ? 'postgres://admin:x@127.0.0.1:1/postgres' : adminUrl!));
  }
  const ms = (values: number[], q: number) => quantile(values, q).toFixed(0);
  for (const r of results) {
    const rows = [
      ['server', r.server === 'postgres' ? 'the harness PostgreSQL' : 'instant (a driver that answers at once)'],
      ['Databases, workers', `${COUNT}, ${WORKERS}`],
      ['all Ready after (s)', r.wallS.toFixed(1)],
    ];
    for (const [label, s] of [
      ['provisioning', r.provisioning],
      ['deleting (deletionPolicy Delete)', r.deleting],
    ] as const) {
      rows.push(
        [`${label}: reconciles`, String(s.count)],
        ['  whole p50 / p99 (ms)', `${ms(s.whole, 0.5)} / ${ms(s.whole, 0.99)}`],
        ['  in the driver p50 / p99 (ms)', `${ms(s.sql, 0.5)} / ${ms(s.sql, 0.99)}`],
        ['  whole minus driver p50 / p99 / max (ms)', `${ms(s.other, 0.5)} / ${ms(s.other, 0.99)} / ${ms(s.other, 1)}`],
        ['    of which API server requests p50 / p99 (ms)', `${ms(s.kube, 0.5)} / ${ms(s.kube, 0.99)}`],
        ['    of which the rest (operator) p50 / p99 (ms)', `${ms(s.rest, 0.5)} / ${ms(s.rest, 0.99)}`],
      );
    }
    rows.push(['load average at start / end', r.loads]);
    const width = Math.max(...rows.map((row) => row[0]!.length));
    process.stdout.write(`${rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join('\n')}\n\n`);
  }
} finally {
  await client.close();
  await timedClient.close();
  await plane.stop();
  await rm(dir, { recursive: true, force: true });
}
