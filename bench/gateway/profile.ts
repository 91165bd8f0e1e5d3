/**
 * Where the gateway's CPU goes on the proxy hot path: runs the gateway under
 * `--cpu-prof` behind the same load as overhead.ts and prints self time per
 * function and per package.
 *
 *   npx tsc -b packages/gateway && node --import tsx bench/gateway/profile.ts [--duration 10] [--access-log]
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.js';
import { summariseProfile } from '../lib/cpuprofile.js';
import { runLoad } from '../lib/load.js';
import { fixed, renderTable } from '../lib/table.js';
import { REPO_ROOT, startGateway, startUpstream } from './servers.js';

const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '10' }, 'access-log': { type: 'boolean', default: false }, top: { type: 'string', default: '25' } } });
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-gateway-profile-'));
installCleanup(async () => undefined);
try {
  const upstream = await startUpstream({ name: 'upstream', cpus: '0', workDir });
  const gateway = await startGateway({ cpus: '0', workDir, upstreams: { tiny: upstream.url }, accessLog: args['access-log'], nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${workDir}`] });
  const load = await runLoad(
    { url: gateway.url, kind: { type: 'get', pathPrefix: '/api/hello/', ids: ['a', 'b'] }, connections: 32, pipelining: 1, warmupSeconds: 2, durationSeconds: Number(args.duration) },
    { name: 'profile', serverPid: gateway.child.pid, cpus: '1', workDir, repoRoot: REPO_ROOT },
  );
  await gateway.child.stop();
  await upstream.child.stop();
  console.log(`${fixed(load.requestsPerSecond)} req/s, ${fixed(load.serverCpuMicrosPerRequest, 1)} µs CPU/request`);
  const file = readdirSync(workDir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no .cpuprofile written');
  const summary = summariseProfile(join(workDir, file), Number(args.top));
  console.log(renderTable(['package', 'ms', '%'], summary.packages.map((p) => [p.name, fixed(p.ms), fixed(p.percent, 1)])));
  console.log(renderTable(['function', 'ms', '%'], summary.functions.map((p) => [p.name, fixed(p.ms), fixed(p.percent, 1)])));
  console.log(`profile: ${join(workDir, file)}`);
} finally {
  killAllChildren();
}
