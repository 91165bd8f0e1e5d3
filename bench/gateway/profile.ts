/**
 * Where the gateway's CPU goes on the proxy hot path: runs the gateway under
 * `--cpu-prof` behind the same load as overhead.ts and prints self time per
 * function and per package.
 *
 * `--policies` picks a config of policies.ts, with the bench's bearer token
 * on every request: `off` (all governance off), `on` (auth + local rate limit
 * + breaker + retries + bulkhead + shedding), or one part alone (`auth`,
 * `limit`, `guards`, `shedding`); without it, the gateway's defaults.
 *
 *   node bench/gateway/profile.ts [--duration 10] [--access-log] [--policies off|on|auth|limit|guards|shedding]
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { summariseProfile } from '../lib/cpuprofile.ts';
import { runLoad } from '../lib/load.ts';
import { fixed, renderTable } from '../lib/table.ts';
import { benchToken, POLICIES_OFF, policiesOn, SINGLE_PARTS, type PolicyVariant } from './policy-configs.ts';
import { REPO_ROOT, startGateway, startUpstream } from './servers.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    'access-log': { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    policies: { type: 'string' },
  },
});
const variants: Record<string, PolicyVariant> = {
  off: POLICIES_OFF,
  on: policiesOn({ kind: 'local' }),
  ...Object.fromEntries(SINGLE_PARTS.map((v) => [v.name.replace('gateway-', ''), v])),
};
const variant = args.policies === undefined ? undefined : variants[args.policies];
if (args.policies !== undefined && variant === undefined) throw new Error(`--policies must be one of: ${Object.keys(variants).join(', ')}`);
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-gateway-profile-'));
installCleanup(async () => undefined);
try {
  const upstream = await startUpstream({ name: 'upstream', cpus: '0', workDir });
  const gateway = await startGateway({
    cpus: '0',
    workDir,
    upstreams: { tiny: upstream.url },
    accessLog: args['access-log'],
    ...(variant === undefined
      ? {}
      : { extraYaml: variant.extraYaml, ...(variant.routeYaml === undefined ? {} : { routeYaml: variant.routeYaml }) }),
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${workDir}`],
  });
  const load = await runLoad(
    {
      url: gateway.url,
      kind: { type: 'get', pathPrefix: '/api/hello/', ids: ['a', 'b'] },
      ...(variant === undefined ? {} : { headers: { authorization: `Bearer ${benchToken()}` } }),
      connections: 32,
      pipelining: 1,
      warmupSeconds: 2,
      durationSeconds: Number(args.duration),
    },
    { name: 'profile', serverPid: gateway.child.pid, cpus: '1', workDir, repoRoot: REPO_ROOT },
  );
  await gateway.child.stop();
  await upstream.child.stop();
  console.log(`${fixed(load.requestsPerSecond)} req/s, ${fixed(load.serverCpuMicrosPerRequest, 1)} µs CPU/request`);
  const file = readdirSync(workDir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no .cpuprofile written');
  // Only the measured window: start-up and warm-up would drown the hot path.
  const summary = summariseProfile(join(workDir, file), Number(args.top), load.windowMicros);
  console.log(
    renderTable(
      ['package', 'ms', '%'],
      summary.packages.map((p) => [p.name, fixed(p.ms), fixed(p.percent, 1)]),
    ),
  );
  console.log(
    renderTable(
      ['function', 'ms', '%'],
      summary.functions.map((p) => [p.name, fixed(p.ms), fixed(p.percent, 1)]),
    ),
  );
  console.log(`profile: ${join(workDir, file)} (measured window ${load.windowMicros.from}–${load.windowMicros.to} µs on its clock)`);
} finally {
  killAllChildren();
}
