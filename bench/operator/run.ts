// Operator benchmark: 1000 Microservices created at once -> seconds until every one has
// status.observedGeneration == metadata.generation and its owned Deployment, Service,
// ConfigMap and PodDisruptionBudget exist; reconcile p99; operator RSS with 10 000
// cached objects (2000 Microservices x 5 cached kinds).
//
//   npx tsc -b && node --conditions=@flotilla/source bench/operator/run.ts [--count 1000] [--workers 4] [--replicas 1] [--cached 10000]
//
// It starts its own control plane (scripts/k8s) and runs the operator as a separate
// process from packages/operator/dist, as it runs in production.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  KubeClient,
  loadKubeconfig,
  microserviceCrd,
  MicroserviceResource,
  Resources,
  type KubeObject,
  type Microservice,
} from '@flotilla/operator';
import { startKubeControlPlane } from '../../scripts/test-services/kube.ts';
import { freePort } from '../../scripts/k8s/process.ts';
import { histogramQuantile, sampleSum } from './prometheus.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '4' },
    cached: { type: 'string', default: '10000' },
    replicas: { type: 'string', default: '1' },
  },
});
const REPLICAS = Number(values.replicas);
const COUNT = Number(values.count);
const WORKERS = Number(values.workers);
const CACHED_TARGET = Number(values.cached);
const NAMESPACE = 'bench';
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function listAll<T extends KubeObject>(
  client: KubeClient,
  type: typeof Resources.Deployment,
  query: Record<string, string> = {},
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await client.list<T>(type, NAMESPACE, { ...query, limit: 500, continue: token });
    out.push(...page.items);
    token = page.metadata.continue || undefined;
  } while (token);
  return out;
}

/** Names (of the first `names`) that are reconciled and have all four owned objects. */
async function converged(client: KubeClient, names: string[]): Promise<number> {
  const selector = { labelSelector: 'app.kubernetes.io/managed-by=flotilla-operator' };
  const [services, deployments, configMaps, pdbs, microservices] = await Promise.all([
    listAll(client, Resources.Service, selector),
    listAll(client, Resources.Deployment, selector),
    listAll(client, Resources.ConfigMap, selector),
    listAll(client, Resources.PodDisruptionBudget, selector),
    listAll<Microservice>(client, MicroserviceResource),
  ]);
  const has = (items: KubeObject[], suffix = '') =>
    new Set(items.map((o) => o.metadata.name!.slice(0, o.metadata.name!.length - suffix.length)));
  const svc = has(services);
  const dep = has(deployments);
  const cm = has(configMaps, '-config');
  const pdb = has(pdbs);
  const observed = new Set(
    microservices.filter((m) => m.status?.observedGeneration === m.metadata.generation).map((m) => m.metadata.name!),
  );
  return names.filter((n) => observed.has(n) && svc.has(n) && dep.has(n) && cm.has(n) && pdb.has(n)).length;
}

async function createBatch(client: KubeClient, from: number, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `svc-${String(from + i).padStart(5, '0')}`);
  await pool(names, 64, (name) =>
    client.create<Microservice>(MicroserviceResource, {
      apiVersion: 'flotilla.dev/v1alpha1',
      kind: 'Microservice',
      metadata: { name, namespace: NAMESPACE },
      spec: { image: `example/${name}:1`, replicas: REPLICAS, ports: { http: 8080 }, config: { inline: { NAME: name } } },
    }),
  );
  return names;
}

async function waitConverged(client: KubeClient, names: string[], began: number, timeoutMs: number): Promise<number> {
  for (;;) {
    const done = await converged(client, names);
    if (done === names.length) return (Date.now() - began) / 1000;
    if (Date.now() - began > timeoutMs) throw new Error(`only ${done}/${names.length} converged after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN) / 1024;
}

const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-operator-'));
const planeStarted = Date.now();
const plane = await startKubeControlPlane({ dir, log });
log(`control plane up in ${((Date.now() - planeStarted) / 1000).toFixed(1)} s`);
const client = new KubeClient(loadKubeconfig(plane.kubeconfig), { connections: 64 });
const port = await freePort();
const main = fileURLToPath(new URL('../../packages/operator/dist/main.js', import.meta.url));
let operatorPid = 0;
// Ctrl-C / SIGTERM still tears everything down.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (operatorPid)
      try {
        process.kill(operatorPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    void plane.stop().finally(() => process.exit(130));
  });
}
try {
  await client.apply(Resources.CustomResourceDefinition, microserviceCrd() as unknown as KubeObject);
  await new Promise((r) => setTimeout(r, 2000));
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });

  const operator = spawn(
    process.execPath,
    [
      main,
      '--kubeconfig',
      plane.kubeconfig,
      '--namespace',
      NAMESPACE,
      '--lease-namespace',
      NAMESPACE,
      '--workers',
      String(WORKERS),
      '--port',
      String(port),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  operatorPid = operator.pid!;
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (;;) {
    const text = await metrics().catch(() => '');
    if (/leader_election_master_status\{name="flotilla-operator"\} 1/.test(text)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const idleRss = await rssMiB(operatorPid);

  log(`creating ${COUNT} Microservices at once (operator: ${WORKERS} workers)`);
  const began = Date.now();
  const names = await createBatch(client, 0, COUNT);
  const createdS = (Date.now() - began) / 1000;
  const convergeS = await waitConverged(client, names, began, 600_000);
  const text = await metrics();
  const p50 = histogramQuantile(text, 'controller_runtime_reconcile_time_seconds', 0.5);
  const p99 = histogramQuantile(text, 'controller_runtime_reconcile_time_seconds', 0.99);
  const reconciles = sampleSum(text, 'controller_runtime_reconcile_total');
  const errors = sampleSum(text, 'controller_runtime_reconcile_errors_total');
  const rssAfterFirst = await rssMiB(operatorPid);

  // Grow the caches to the target: each Microservice means 5 cached objects.
  const more = Math.max(0, Math.ceil(CACHED_TARGET / 5) - COUNT);
  log(`creating ${more} more Microservices to hold ${CACHED_TARGET} cached objects`);
  const began2 = Date.now();
  const moreNames = await createBatch(client, COUNT, more);
  await waitConverged(client, moreNames, began2, 900_000);
  await new Promise((r) => setTimeout(r, 5000));
  const text2 = await metrics();
  const rssCached = await rssMiB(operatorPid);
  const heapMiB = sampleSum(text2, 'nodejs_heap_size_used_bytes') / 1024 / 1024;

  const rows = [
    ['Microservices created at once', String(COUNT)],
    ['operator workers', String(WORKERS)],
    ['replicas per Microservice (Pods the controller manager creates)', String(REPLICAS)],
    ['create requests finished after (s)', createdS.toFixed(1)],
    [`all ${COUNT} converged after (s)`, convergeS.toFixed(1)],
    ['  ratio to the 60 s target', (convergeS / 60).toFixed(2)],
    ['reconciles (total, errors)', `${reconciles}, ${errors}`],
    ['reconcile p50 / p99 (ms, histogram)', `${(p50 * 1000).toFixed(1)} / ${(p99 * 1000).toFixed(1)}`],
    ['operator RSS idle (MiB)', idleRss.toFixed(0)],
    [`operator RSS after ${COUNT} (MiB)`, rssAfterFirst.toFixed(0)],
    [`operator RSS with ${(COUNT + more) * 5} cached objects (MiB)`, rssCached.toFixed(0)],
    ['  ratio to the 250 MB target', ((rssCached * 1.048576) / 250).toFixed(2)],
    ['  JS heap used (MiB)', heapMiB.toFixed(0)],
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join('\n')}\n`);
  operator.kill('SIGTERM');
  await new Promise((r) => operator.once('exit', r));
} finally {
  if (operatorPid)
    try {
      process.kill(operatorPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  await client.close();
  await plane.stop();
  await rm(dir, { recursive: true, force: true });
}
