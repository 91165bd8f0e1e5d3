/**
 * The load generator, run as its own process (so it gets its own core, apart
 * from the server under test): `node load-worker.ts SPEC.json`.
 * Runs a warm-up, prints `{"phase":"measuring"}`, runs the measured load,
 * then prints `{"phase":"done","result":{...}}` on stdout.
 */
import { readFileSync } from 'node:fs';
import autocannon, { type RequestSpec } from 'autocannon';
import type { LoadSpec, LoadResult } from './load.ts';

const specFile = process.argv[2];
if (specFile === undefined) throw new Error('usage: load-worker.ts SPEC.json');
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LoadSpec;

function requestsFor(): RequestSpec[] {
  if (spec.kind.type === 'get') {
    const { pathPrefix, ids } = spec.kind;
    if (ids.length === 0) throw new Error('get load needs at least one id');
    let next = 0;
    // Rotate over the seeded ids so every request reads a real row (no cache hits on one key).
    return [
      {
        method: 'GET',
        headers: { ...spec.headers },
        setupRequest: (req) => ({ ...req, path: `${pathPrefix}${ids[next++ % ids.length]}` }),
      },
    ];
  }
  if (spec.kind.type === 'post-json') {
    const { path, bodies } = spec.kind;
    if (bodies.length === 0) throw new Error('post-json load needs at least one body');
    let next = 0;
    return [
      {
        method: 'POST',
        headers: { ...spec.headers, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, path, body: bodies[next++ % bodies.length] }),
      },
    ];
  }
  const { path, emailPrefix } = spec.kind;
  let next = 0;
  // A counter, not random ids: every email is unique by construction, so no 409 skews the figures.
  // The worker's pid joins the prefix, so repeated runs against one database never collide.
  const prefix = `${emailPrefix}-${process.pid}`;
  return [
    {
      method: 'POST',
      headers: { ...spec.headers, 'content-type': 'application/json' },
      setupRequest: (req) => {
        const n = next++;
        return { ...req, path, body: JSON.stringify({ name: `Load User ${n}`, email: `${prefix}-${n}@example.com` }) };
      },
    },
  ];
}

async function main(): Promise<void> {
  const base = {
    url: spec.url,
    connections: spec.connections,
    pipelining: spec.pipelining,
    timeout: 10,
    requests: requestsFor(),
    ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
  };
  if (spec.warmupSeconds > 0) await autocannon({ ...base, duration: spec.warmupSeconds });
  process.stdout.write(`${JSON.stringify({ phase: 'measuring' })}\n`);
  const result = await autocannon({ ...base, duration: spec.durationSeconds });
  const summary: LoadResult = {
    seconds: result.duration,
    ok: result['2xx'],
    requestsPerSecond: result['2xx'] / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMeanMs: result.latency.mean,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, stat]) => [code, stat.count])),
  };
  process.stdout.write(`${JSON.stringify({ phase: 'done', result: summary })}\n`);
}

await main();
