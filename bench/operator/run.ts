// Operator benchmark: --count Microservices created at once -> seconds until every one has
// status.observedGeneration == metadata.generation and its owned Deployment, Service,
// ConfigMap and PodDisruptionBudget exist; reconcile p99; operator RSS with --cached
// objects (5 cached kinds per Microservice) under the operator's memory limit; the CPU each
// process used and the API server's requests until convergence.
//
//   npx tsc -b && node --conditions=@flotilla/source bench/operator/run.ts [--count 1000] [--workers 4] [--replicas 1] [--cached 10000]
//     [--profile DIR]   the operator runs with --cpu-prof into DIR (and a heap snapshot is taken at the end without a memory limit)
//     [--apiserver-profile SECONDS]  also a pprof CPU profile of kube-apiserver from the first create on, into DIR
//     [--memory-limit MiB]  the operator's memory cgroup limit (default 384, as its Deployment; 0 = none)
//     [--settle SECONDS]    RSS is read again after this long without new work (default 30)
//     [--probe watch|list]  how convergence is seen (default watch; list = LISTs every 0.5 s)
//     [--timeout SECONDS]   give up waiting for convergence after this long (default 1800)
//     [--operator-main PATH] another build of the operator to run (a main.ts runs from source), e.g. an older commit's
//     [--node-options=...] extra node flags for the operator, e.g. --node-options=--max-semi-space-size=16
//
// It starts its own control plane (scripts/k8s) and runs the operator as a separate
// process from packages/operator/dist, as it runs in production.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
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
import { profileApiserver } from './apiserver-debug.ts';
import { requestCounts, requestDelta } from './apiserver-requests.ts';
import { controlPlanePids, cpuByProcess, cpuDelta, loadAverage } from './machine.ts';
import { memoryCgroup } from './memory-limit.ts';
import { ConvergenceWatch, convergedByList, waitConvergedByList } from './convergence.ts';
import { histogramQuantile, sampleSum } from './prometheus.ts';
import { cpuSeconds } from '../lib/proc-stats.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '4' },
    cached: { type: 'string', default: '10000' },
    replicas: { type: 'string', default: '1' },
    profile: { type: 'string' },
    target: { type: 'string' },
    'apiserver-profile': { type: 'string' },
    probe: { type: 'string', default: 'watch' },
    'memory-limit': { type: 'string', default: '384' },
    settle: { type: 'string', default: '30' },
    timeout: { type: 'string', default: '1800' },
    'node-options': { type: 'string', default: '' },
    'operator-main': { type: 'string' },
  },
});
const PROFILE_DIR = values.profile;
const PROBE = values.probe;
/** MiB, as the operator's Deployment sets it; 0 runs it unconstrained */
const MEMORY_LIMIT_MIB = Number(values['memory-limit']);
const SETTLE_S = Number(values.settle);
const TIMEOUT_MS = Number(values.timeout) * 1000;
if (PROBE !== 'watch' && PROBE !== 'list') throw new Error('--probe is watch or list');
const APISERVER_PROFILE_S = values['apiserver-profile'] ? Number(values['apiserver-profile']) : undefined;
if (APISERVER_PROFILE_S && !PROFILE_DIR) throw new Error('--apiserver-profile needs --profile DIR');
const REPLICAS = Number(values.replicas);
const COUNT = Number(values.count);
const WORKERS = Number(values.workers);
const CACHED_TARGET = Number(values.cached);
/** seconds: 60 for 1000 (the first target), 120 for the 5000 of the scale target */
const TARGET_S = Number(values.target ?? (COUNT > 1000 ? 120 : 60));
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

async function rssMiB(pid: number, field = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) / 1024;
}

const peakRssMiB = (pid: number) => rssMiB(pid, 'VmHWM');

/** Sends SIGUSR2 (--heapsnapshot-signal) and waits until a new snapshot file stops growing. */
async function heapSnapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  for (let size = -1, waited = 0; waited < 300; waited += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      process.kill(pid, 0);
    } catch {
      return 'none: the operator died writing it';
    }
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const now = (await stat(join(dir, file))).size;
    if (now > 0 && now === size) return join(dir, file);
    size = now;
  }
  return 'none: not written within 300 s';
}

const loadAtStart = loadAverage();
log(`load average at start: ${loadAtStart}`);
const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-operator-'));
const planeStarted = Date.now();
const plane = await startKubeControlPlane({ dir, log, apiserverFlags: APISERVER_PROFILE_S ? ['--profiling=true'] : [] });
log(`control plane up in ${((Date.now() - planeStarted) / 1000).toFixed(1)} s`);
const client = new KubeClient(loadKubeconfig(plane.kubeconfig), { connections: 64 });
let probe: ConvergenceWatch | undefined;
/** Seconds from `began` until all of `names` converged, by the chosen probe (a watch is confirmed by one LIST round). */
async function waitConverged(names: string[], began: number, timeoutMs: number): Promise<number> {
  if (!probe) return await waitConvergedByList(client, NAMESPACE, names, began, timeoutMs);
  const seconds = await probe.waitFor(names, began, timeoutMs);
  const listed = await convergedByList(client, NAMESPACE, names);
  if (listed !== names.length) throw new Error(`the watch saw ${names.length} converged, a LIST only ${listed}`);
  return seconds;
}
const port = await freePort();
const main = values['operator-main'] ?? fileURLToPath(new URL('../../packages/operator/dist/main.js', import.meta.url));
let operatorPid = 0;
let memoryLimitNote = 'none';
let removeCgroup = async (): Promise<void> => {};
// Ctrl-C / SIGTERM still tears everything down.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (operatorPid)
      try {
        process.kill(operatorPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    void plane
      .stop()
      .then(() => removeCgroup())
      .finally(() => process.exit(130));
  });
}
try {
  await client.apply(Resources.CustomResourceDefinition, microserviceCrd() as unknown as KubeObject);
  await new Promise((r) => setTimeout(r, 2000));
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  if (PROBE === 'watch') {
    probe = new ConvergenceWatch(client, NAMESPACE);
    await probe.start();
  }

  if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });
  const operatorLogFile = join(PROFILE_DIR ?? dir, 'operator.log');
  const operatorLog = openSync(operatorLogFile, 'w');
  const profileFlags = PROFILE_DIR ? ['--cpu-prof', `--diagnostic-dir=${PROFILE_DIR}`, '--heapsnapshot-signal=SIGUSR2'] : [];
  const cgroup = MEMORY_LIMIT_MIB > 0 ? memoryCgroup(`flotilla-bench-operator-${process.pid}`, MEMORY_LIMIT_MIB) : undefined;
  if (cgroup && 'unavailable' in cgroup) log(`operator runs without a memory limit: ${cgroup.unavailable}`);
  const limited = cgroup && !('unavailable' in cgroup) ? cgroup : undefined;
  memoryLimitNote = limited ? `${MEMORY_LIMIT_MIB} MiB (memory cgroup)` : 'none';
  removeCgroup = async () => await limited?.remove();
  const nodeOptions = values['node-options'].split(' ').filter(Boolean);
  const launch = (limited?.wrap ?? ((command: string, args: string[]) => ({ command, args })))(process.execPath, [
    ...nodeOptions,
    ...(main.endsWith('.ts') ? ['--conditions=@flotilla/source'] : []),
    ...profileFlags,
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
  ]);
  const operator = spawn(launch.command, launch.args, {
    stdio: ['ignore', operatorLog, operatorLog],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  operatorPid = operator.pid!;
  // An operator that exits (e.g. it lost its lease) fails the run at once, with its last words.
  let stopping = false;
  const exited = new Promise<never>((_resolve, reject) =>
    operator.once('exit', (code, signal) => {
      if (stopping) return;
      const tail = readFileSync(operatorLogFile, 'utf8').trim().split('\n').slice(-10).join('\n');
      reject(new Error(`the operator exited (code ${code}, signal ${signal}); the end of its log:\n${tail}`));
    }),
  );
  exited.catch(() => {});
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (;;) {
    const text = await metrics().catch(() => '');
    if (/leader_election_master_status\{name="flotilla-operator"\} 1/.test(text)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const idleRss = await rssMiB(operatorPid);
  const pids = controlPlanePids(dir);
  pids.set('operator', operatorPid);
  const cpuBefore = cpuByProcess(pids);
  const benchCpuBefore = cpuSeconds(process.pid);
  const connection = loadKubeconfig(plane.kubeconfig);
  const requestsBefore = await requestCounts(connection);

  log(`creating ${COUNT} Microservices at once (operator: ${WORKERS} workers)`);
  const began = Date.now();
  const apiserverProfile = APISERVER_PROFILE_S
    ? profileApiserver(connection, APISERVER_PROFILE_S, join(PROFILE_DIR!, 'kube-apiserver.pprof')).catch((error: unknown) =>
        log(`apiserver profile failed: ${String(error)}`),
      )
    : undefined;
  // A line every 10 s: how far the operator got and how busy the machine is.
  const progress = setInterval(() => {
    void metrics()
      .then((text) => {
        const depth = sampleSum(text, 'workqueue_depth', 'name="microservice"');
        const done = sampleSum(text, 'controller_runtime_reconcile_total', 'controller="microservice"');
        const seen = probe ? `, converged ${probe.convergedSoFar}` : '';
        log(`t=${((Date.now() - began) / 1000).toFixed(0)} s${seen}, reconciles ${done}, queue ${depth}, load ${loadAverage()}`);
      })
      .catch(() => {});
  }, 10_000);
  const names = await createBatch(client, 0, COUNT);
  const createdS = (Date.now() - began) / 1000;
  const convergeS = await Promise.race([waitConverged(names, began, TIMEOUT_MS), exited]).finally(() => clearInterval(progress));
  const text = await metrics();
  const mine = 'controller="microservice"';
  const p50 = histogramQuantile(text, 'controller_runtime_reconcile_time_seconds', 0.5, mine);
  const p99 = histogramQuantile(text, 'controller_runtime_reconcile_time_seconds', 0.99, mine);
  const reconciles = sampleSum(text, 'controller_runtime_reconcile_total');
  const errors = sampleSum(text, 'controller_runtime_reconcile_errors_total');
  const rssAfterFirst = await rssMiB(operatorPid);
  const cpuUsed = `${cpuDelta(cpuBefore, cpuByProcess(pids))}, this bench ${(cpuSeconds(process.pid) - benchCpuBefore).toFixed(1)} s`;
  log(`CPU used until converged: ${cpuUsed}`);
  const requests = requestDelta(requestsBefore, await requestCounts(connection), 50);
  log(`apiserver requests until converged (50 or more): ${requests.join(', ')}`);
  // Nobody touches the owned objects here: every DriftRepaired event is a reconcile that read a
  // cache behind its own writes and applied again.
  const eventsBy = async (reason: string) =>
    (await client.list(Resources.Event, NAMESPACE, { fieldSelector: `reason=${reason}`, limit: 5000 })).items.length;
  const operatorEvents = `Reconciled ${await eventsBy('Reconciled')}, DriftRepaired ${await eventsBy('DriftRepaired')}, ReconcileError ${await eventsBy('ReconcileError')}`;
  log(`operator events so far: ${operatorEvents}`);

  // Grow the caches to the target: each Microservice means 5 cached objects.
  const more = Math.max(0, Math.ceil(CACHED_TARGET / 5) - COUNT);
  log(`creating ${more} more Microservices to hold ${CACHED_TARGET} cached objects`);
  const began2 = Date.now();
  const moreNames = await createBatch(client, COUNT, more);
  await Promise.race([waitConverged(moreNames, began2, TIMEOUT_MS), exited]);
  await new Promise((r) => setTimeout(r, 5000));
  const text2 = await metrics();
  const rssCached = await rssMiB(operatorPid);
  log(`RSS 5 s after: ${rssCached.toFixed(0)} MiB; waiting ${SETTLE_S} s without new work`);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const rssSettled = await rssMiB(operatorPid);
  const rssPeak = await peakRssMiB(operatorPid);
  const heapMiB = sampleSum(text2, 'nodejs_heap_size_used_bytes') / 1024 / 1024;
  const mib = (name: string, label = '') => (sampleSum(text2, name, label) / 1024 / 1024).toFixed(0);
  const heapLayout = `heap committed ${mib('nodejs_heap_size_total_bytes')} (new space ${mib('nodejs_heap_space_size_total_bytes', 'space="new"')}, old ${mib('nodejs_heap_space_size_total_bytes', 'space="old"')}, code ${mib('nodejs_heap_space_size_total_bytes', 'space="code"')}), external ${mib('nodejs_external_memory_bytes')}`;

  const rows = [
    ['Microservices created at once', String(COUNT)],
    ['operator workers', String(WORKERS)],
    ['convergence probe', PROBE === 'watch' ? 'watch (confirmed by one LIST round)' : 'LIST every 0.5 s'],
    ['replicas per Microservice (Pods the controller manager creates)', String(REPLICAS)],
    ['create requests finished after (s)', createdS.toFixed(1)],
    [`all ${COUNT} converged after (s)`, convergeS.toFixed(1)],
    [`  ratio to the ${TARGET_S} s target`, (convergeS / TARGET_S).toFixed(2)],
    ['reconciles (total, errors)', `${reconciles}, ${errors}`],
    ['operator Events written by then', operatorEvents],
    ['reconcile p50 / p99 (ms, histogram)', `${(p50 * 1000).toFixed(1)} / ${(p99 * 1000).toFixed(1)}`],
    ['operator RSS idle (MiB)', idleRss.toFixed(0)],
    [`operator RSS after ${COUNT} (MiB)`, rssAfterFirst.toFixed(0)],
    ['operator memory limit, node flags', `${memoryLimitNote}, ${values['node-options'] || 'none'}`],
    [
      `operator RSS with ${(COUNT + more) * 5} cached objects, 5 s / ${SETTLE_S + 5} s after (MiB)`,
      `${rssCached.toFixed(0)} / ${rssSettled.toFixed(0)}`,
    ],
    ['  ratio to the 250 MB target (5 s after)', ((rssCached * 1.048576) / 250).toFixed(2)],
    ['  peak RSS of the run (VmHWM, MiB)', rssPeak.toFixed(0)],
    ['  JS heap used (MiB)', heapMiB.toFixed(0)],
    ['  heap layout (MiB)', heapLayout],
    ['CPU used until converged', cpuUsed],
    ['load average at start / end', `${loadAtStart} / ${loadAverage()}`],
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join('\n')}\n`);
  await apiserverProfile;
  // Writing a snapshot takes about as much memory again as the heap: under the limit the
  // kernel would kill the operator for it (and its CPU profile would be lost).
  if (PROFILE_DIR && memoryLimitNote === 'none') log(`heap snapshot: ${await heapSnapshot(operatorPid, PROFILE_DIR)}`);
  else if (PROFILE_DIR) log('no heap snapshot under the memory limit (run with --memory-limit 0 for one)');
  stopping = true;
  operator.kill('SIGTERM');
  await new Promise((r) => operator.once('exit', r));
} finally {
  if (operatorPid)
    try {
      process.kill(operatorPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  await probe?.stop();
  await removeCgroup();
  await client.close();
  await plane.stop();
  await rm(dir, { recursive: true, force: true });
}
