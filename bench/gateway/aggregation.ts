/**
 * Aggregation latency: GET /api/users/:id/profile fans out to a users part
 * (answers after --fast ms) and an orders part (after --slow ms) in parallel.
 * Target: the aggregation's p50 is at most the slower part's p50 + 2 ms
 * (the slower part measured directly, under the same load, in the same run).
 *
 *   node bench/gateway/aggregation.ts [--fast 5] [--slow 20] [--duration 10] [--connections 8] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type MeasuredLoad } from '../lib/load.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { REPO_ROOT, startGateway, startUpstream, type Running } from './servers.ts';

const { values: args } = parseArgs({
  options: {
    fast: { type: 'string', default: '5' },
    slow: { type: 'string', default: '20' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const pin = !args['no-pin'];
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-aggregation-'));
installCleanup(async () => undefined);

function measure(name: string, target: Running, pathPrefix: string): Promise<MeasuredLoad> {
  return runLoad(
    {
      url: target.url,
      kind: { type: 'get', pathPrefix, ids: ['ada', 'grace', 'alan', 'edsger'] },
      connections: Number(args.connections),
      pipelining: 1,
      warmupSeconds: Number(args.warmup),
      durationSeconds: Number(args.duration),
    },
    { name, serverPid: target.child.pid, cpus: pin ? '1' : undefined, workDir, repoRoot: REPO_ROOT },
  );
}

const runs: Record<'fast' | 'proxied' | 'slow' | 'aggregation', MeasuredLoad[]> = { fast: [], proxied: [], slow: [], aggregation: [] };
try {
  const users = await startUpstream({ name: 'users', cpus: pin ? '0' : undefined, workDir, delayMs: Number(args.fast) });
  const orders = await startUpstream({ name: 'orders', cpus: pin ? '0' : undefined, workDir, delayMs: Number(args.slow) });
  const gateway = await startGateway({
    cpus: pin ? '0' : undefined,
    workDir,
    upstreams: { users: users.url, orders: orders.url },
    accessLog: true,
    extraYaml: `aggregations:
  - name: user-profile
    path: /api/users/:id/profile
    parts:
      user: { upstream: users, path: '/users/{id}', required: true }
      orders: { upstream: orders, path: '/orders?userId={id}' }
`,
  });
  // Each id becomes /api/users/<id>/profile; the direct runs hit the parts' own paths.
  const profilePath = '/api/users/';
  for (let round = 1; round <= Number(args.rounds); round++) {
    process.stderr.write(`round ${round}/${args.rounds}\n`);
    runs.fast.push(await measure(`users-${round}`, users, '/users/'));
    // One plain proxy hop to the fast part: the latency any hop through the gateway adds on this machine.
    runs.proxied.push(await measure(`proxied-${round}`, gateway, '/api/users/'));
    runs.slow.push(await measure(`orders-${round}`, orders, '/orders?userId='));
    runs.aggregation.push(
      await runLoad(
        {
          url: gateway.url,
          kind: { type: 'get', pathPrefix: profilePath, ids: ['ada/profile', 'grace/profile', 'alan/profile', 'edsger/profile'] },
          connections: Number(args.connections),
          pipelining: 1,
          warmupSeconds: Number(args.warmup),
          durationSeconds: Number(args.duration),
        },
        { name: `aggregation-${round}`, serverPid: gateway.child.pid, cpus: pin ? '1' : undefined, workDir, repoRoot: REPO_ROOT },
      ),
    );
  }
} finally {
  killAllChildren();
}

const p50 = (key: keyof typeof runs): number => median(runs[key].map((r) => r.latencyP50Ms));
console.log(
  `\nAggregation latency, parts answer after ${args.fast} ms (users) and ${args.slow} ms (orders); ${args.connections} connections, ${args.rounds} round(s) of ${args.duration} s (medians)\n`,
);
console.log(
  renderTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors+non-2xx'],
    (['fast', 'proxied', 'slow', 'aggregation'] as const).map((key) => [
      {
        fast: 'users part alone',
        proxied: 'users part through one gateway hop',
        slow: 'orders part alone (slower)',
        aggregation: 'aggregation via gateway',
      }[key],
      fixed(median(runs[key].map((r) => r.requestsPerSecond))),
      fixed(p50(key), 2),
      fixed(median(runs[key].map((r) => r.latencyP99Ms)), 2),
      String(runs[key].reduce((sum, r) => sum + r.errors + r.non2xx + r.timeouts, 0)),
    ]),
  ),
);
const overhead = p50('aggregation') - p50('slow');
console.log(
  `\naggregation p50 - slower part p50 = ${fixed(overhead, 2)} ms (target <= 2 ms: ${overhead <= 2 ? 'met' : 'MISSED'}); one plain proxy hop adds ${fixed(p50('proxied') - p50('fast'), 2)} ms here`,
);
rmSync(workDir, { recursive: true, force: true });
