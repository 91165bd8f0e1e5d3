/**
 * Cold start of a service as a single-file executable (scripts/sea) against
 * its bundle on the pinned Node (`node services/<name>/dist/bundle.mjs`, what
 * `npm start` and the images run), also with NODE_COMPILE_CACHE set (the
 * executable carries V8's code cache for its script; the bundle gets one for
 * itself only that way), in the same run: spawn → "<name> ready on" → first
 * `/readyz` 200, rounds interleaved so drift hits all alike, medians. One
 * unmeasured start of each first (the executable writes its assets out once;
 * all fill their caches).
 *
 *   node bench/startup/sea.ts [--service users] [--rounds 7] [--no-pin]
 *
 * Needs `npm run build` (the bundle and the tsc output the executable is made from).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSea } from '../../scripts/sea/build.ts';
import { isSeaService, SEA_SERVICES } from '../../scripts/sea/services.ts';
import { canPin, installCleanup, killAllChildren, spawnChild } from '../lib/children.ts';
import { httpRequest } from '../lib/net.ts';
import { fixed, median, renderTable } from '../lib/table.ts';

const { values: flags } = parseArgs({
  options: {
    service: { type: 'string', default: 'users' },
    rounds: { type: 'string', default: '7' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const service = flags.service;
if (!isSeaService(service)) throw new Error(`--service: one of ${Object.keys(SEA_SERVICES).join(', ')}`);
const rounds = Number(flags.rounds);
// The service on CPU 0, this process elsewhere (the bench convention); unpinned when taskset is missing.
const cpus = flags['no-pin'] || !canPin() ? undefined : '0';

const root = join(import.meta.dirname, '..', '..');
const bundle = join(root, SEA_SERVICES[service], 'dist', 'bundle.mjs');
const upper = service.toUpperCase();
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-startup-'));
installCleanup(async () => rmSync(workDir, { recursive: true, force: true }));

interface Start {
  readyLineMs: number;
  readyzMs: number;
}

/** One start: the times from spawn to the ready line and to the first /readyz 200; then SIGTERM. */
async function start(side: SideName, round: string): Promise<Start> {
  const { command, args, env: extra } = sides[side];
  const home = join(workDir, `${side}-${round}`);
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_') && key !== 'NODE_COMPILE_CACHE')),
    ...extra,
    FLOTILLA_CONFIG_DIR: join(root, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_HOME: home,
    [`FLOTILLA_${upper}__HTTP__PORT`]: '0',
    [`FLOTILLA_${upper}__GRPC__PORT`]: '0',
  };
  const spawnedAt = performance.now();
  const child = spawnChild({ name: `${side} ${round}`, command, args, cwd: root, env, cpus, pipeStdout: true });
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = new RegExp(`${service} ready on (http://[^"\\s]+)`).exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    void child.exited.then(({ code }) => reject(new Error(`${side} exited (${code}) before it was ready:\n${stdout}`)));
  });
  const readyLineMs = performance.now() - spawnedAt;
  const answer = await httpRequest(`${url}/readyz`);
  const readyzMs = performance.now() - spawnedAt;
  if (answer.status !== 200) throw new Error(`${side}: /readyz answered ${answer.status}`);
  await child.stop();
  return { readyLineMs, readyzMs };
}

interface Side {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}
type SideName = 'bundle' | 'cached' | 'sea';

const { path: executable } = await buildSea(service);
const sides: Record<SideName, Side> = {
  bundle: { label: `node ${SEA_SERVICES[service]}/dist/bundle.mjs`, command: process.execPath, args: [bundle], env: {} },
  cached: {
    label: 'the same, NODE_COMPILE_CACHE set',
    command: process.execPath,
    args: [bundle],
    env: { NODE_COMPILE_CACHE: join(workDir, 'compile-cache') },
  },
  sea: { label: `SEA ${executable}`, command: executable, args: [], env: {} },
};
const names = Object.keys(sides) as SideName[];
const results: Record<SideName, Start[]> = { bundle: [], cached: [], sea: [] };

for (const side of names) await start(side, 'warm-up');
for (let round = 0; round < rounds; round++) {
  // Rotate which side goes first, so none always follows the same one.
  for (let i = 0; i < names.length; i++) {
    const side = names[(round + i) % names.length]!;
    results[side].push(await start(side, String(round)));
  }
}
killAllChildren();
rmSync(workDir, { recursive: true, force: true });

const medianReadyz = (side: SideName): number => median(results[side].map((r) => r.readyzMs));
console.log(
  `${service}: spawn → ready, median of ${rounds} rounds each (${cpus === undefined ? 'unpinned' : `CPU ${cpus}`}, Node ${process.version})`,
);
console.log(
  renderTable(
    ['side', 'ready line ms', '/readyz 200 ms', 'per round (/readyz)'],
    names.map((side) => [
      sides[side].label,
      fixed(median(results[side].map((r) => r.readyLineMs))),
      fixed(medianReadyz(side)),
      results[side].map((r) => fixed(r.readyzMs)).join('/'),
    ]),
  ),
);
console.log(
  `sea / bundle: ${fixed(medianReadyz('sea') / medianReadyz('bundle'), 2)}, sea / bundle with NODE_COMPILE_CACHE: ${fixed(medianReadyz('sea') / medianReadyz('cached'), 2)}`,
);
