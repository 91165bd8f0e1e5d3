/**
 * Gateway overhead next to nginx: both proxy GET /api/hello/<id> to the same
 * tiny upstream. The proxies and the upstream share CPU 0, the load generator
 * (autocannon) runs on CPU 1. The figure that matters is the CPU time each
 * proxy process spends per request (utime+stime from /proc over the measured
 * window, divided by the 2xx responses): it does not depend on which side was
 * the bottleneck. Rounds alternate the targets; medians are reported.
 * The gateway runs with its governance off (policies.ts measures that cost),
 * so this stays the plain proxy hop the recorded figures describe;
 * `--policies on` gives it the governance the dev config ships (auth,
 * local rate limit, breaker, retries, bulkhead, shedding: policies.ts's
 * `policiesOn`), and every target then gets the bench's bearer token.
 *
 *   npx tsc -b packages/gateway && node bench/gateway/overhead.ts [--rounds 3] [--duration 10] [--connections 32] [--logs both|on|off] [--policies off|on] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type MeasuredLoad } from '../lib/load.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { benchToken, POLICIES_OFF, policiesOn } from './policy-configs.ts';
import { REPO_ROOT, startGateway, startNaiveProxy, startNginx, startUpstream, type Running } from './servers.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    logs: { type: 'string', default: 'both' },
    policies: { type: 'string', default: 'off' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const pin = !args['no-pin'];
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;
const rounds = Number(args.rounds);
const logModes = args.logs === 'both' ? [true, false] : [args.logs === 'on'];
if (args.policies !== 'off' && args.policies !== 'on') throw new Error('--policies is off or on');
const policies = args.policies === 'on' ? policiesOn({ kind: 'local' }) : POLICIES_OFF;
const headers: Record<string, string> | undefined = args.policies === 'on' ? { authorization: `Bearer ${benchToken()}` } : undefined;
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-gateway-'));
installCleanup(async () => undefined);

async function measure(name: string, target: Running, path: string): Promise<MeasuredLoad> {
  return runLoad(
    {
      url: target.url,
      kind: { type: 'get', pathPrefix: path, ids: ['ada', 'grace', 'alan', 'edsger'] },
      connections: Number(args.connections),
      pipelining: 1,
      ...(headers === undefined ? {} : { headers }),
      warmupSeconds: Number(args.warmup),
      durationSeconds: Number(args.duration),
    },
    { name, serverPid: target.child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
  );
}

interface Row {
  name: string;
  runs: MeasuredLoad[];
}

const rows: Row[] = [];
try {
  const upstream = await startUpstream({ name: 'upstream', cpus: SERVER_CPU, workDir });
  const direct: Row = { name: 'upstream alone (no proxy)', runs: [] };
  const naive: Row = { name: 'naive undici proxy (reference)', runs: [] };
  rows.push(direct, naive);
  const naiveProxy = await startNaiveProxy({ cpus: SERVER_CPU, workDir, upstream: upstream.url });
  for (const accessLog of logModes) {
    const nginx = await startNginx({ cpus: SERVER_CPU, workDir, upstream: upstream.url, accessLog });
    const gateway = await startGateway({
      cpus: SERVER_CPU,
      workDir,
      upstreams: { tiny: upstream.url },
      accessLog,
      extraYaml: policies.extraYaml,
      ...(policies.routeYaml === undefined ? {} : { routeYaml: policies.routeYaml }),
    });
    const suffix = accessLog ? 'access log on' : 'access log off';
    const nginxRow: Row = { name: `nginx, ${suffix}`, runs: [] };
    const gatewayRow: Row = { name: `gateway, ${suffix}`, runs: [] };
    rows.push(nginxRow, gatewayRow);
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`round ${round}/${rounds} (${suffix})\n`);
      if (accessLog === logModes[0]) {
        direct.runs.push(await measure(`direct-${round}`, upstream, '/hello/'));
        naive.runs.push(await measure(`naive-${round}`, naiveProxy, '/api/hello/'));
      }
      nginxRow.runs.push(await measure(`nginx-${round}`, nginx, '/api/hello/'));
      gatewayRow.runs.push(await measure(`gateway-${round}`, gateway, '/api/hello/'));
    }
    await nginx.child.stop();
    await gateway.child.stop();
  }
  await naiveProxy.child.stop();
  await upstream.child.stop();
} finally {
  killAllChildren();
}

/** The plain hop's target was 2×; with the dev governance on, 1.5×. */
const target = args.policies === 'on' ? 1.5 : 2;
const perRequest = (row: Row): number => median(row.runs.map((r) => r.serverCpuMicrosPerRequest));
console.log(
  `\nGateway (policies ${args.policies}) vs nginx, ${rounds} round(s) of ${args.duration} s, ${args.connections} connections, ${pin ? 'proxy+upstream on CPU 0, load on CPU 1' : 'unpinned'} (medians); load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end\n`,
);
console.log(
  renderTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'process CPU %', 'CPU µs/request', 'non-2xx+errors'],
    rows.map((row) => [
      row.name,
      fixed(median(row.runs.map((r) => r.requestsPerSecond))),
      fixed(median(row.runs.map((r) => r.latencyP50Ms)), 2),
      fixed(median(row.runs.map((r) => r.latencyP99Ms)), 2),
      fixed(median(row.runs.map((r) => r.serverCpuPercent))),
      fixed(perRequest(row), 1),
      String(row.runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0)),
    ]),
  ),
);
console.log('');
for (const accessLog of logModes) {
  const suffix = accessLog ? 'access log on' : 'access log off';
  const nginx = rows.find((r) => r.name === `nginx, ${suffix}`) as Row;
  const gateway = rows.find((r) => r.name === `gateway, ${suffix}`) as Row;
  const ratio = perRequest(gateway) / perRequest(nginx);
  console.log(
    `${suffix}: gateway adds ${fixed(perRequest(gateway), 1)} µs CPU/request, nginx ${fixed(perRequest(nginx), 1)} µs -> ratio ${fixed(ratio, 2)}x (target <= ${target}x: ${ratio <= target ? 'met' : 'MISSED'})`,
  );
}
rmSync(workDir, { recursive: true, force: true });
