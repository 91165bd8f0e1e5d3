/**
 * `workers: auto` under a real cgroup CPU limit (cgroup v1, as on this
 * project's machines, where Node's own availableParallelism() does not see
 * it). Needs root and the v1 cpu controller; skipped elsewhere.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ServiceProcess, startServiceProcess, tempDir } from '@flotilla/testing';
import { CREW } from './support.ts';

const CPU_V1 = '/sys/fs/cgroup/cpu';
const JOIN = join(import.meta.dirname, 'fixtures', 'join-cgroup.mjs');

function cannotLimit(): string | undefined {
  if (availableParallelism() < 2) return 'one CPU: a limit changes nothing';
  try {
    accessSync(join(CPU_V1, 'cgroup.procs'), constants.W_OK);
    return undefined;
  } catch {
    return `no writable cgroup v1 cpu controller at ${CPU_V1} (needs root)`;
  }
}

function children(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(' ').map(Number);
}

test('workers: auto runs one process per CPU the cgroup allows', { skip: cannotLimit() }, async (t) => {
  const cgroup = join(CPU_V1, `flotilla-workers-test-${process.pid}`);
  mkdirSync(cgroup);
  const home = tempDir('workers');
  const started: ServiceProcess[] = [];
  // In this order: the cgroup can go once no process is left in it.
  t.after(async () => {
    for (const svc of started) await svc.kill9();
    rmdirSync(cgroup);
    home.remove();
  });
  const start = async (): Promise<ServiceProcess> => {
    const svc = await startServiceProcess(CREW, 'crew', {
      cwd: home.path,
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${JOIN}`,
        FLOTILLA_TEST_CGROUP: cgroup,
        FLOTILLA_CONFIG_DIR: '/nonexistent',
        FLOTILLA_HOME: home.path,
        FLOTILLA_CREW__HTTP__HOST: '127.0.0.1',
        FLOTILLA_CREW__HTTP__PORT: '0',
        FLOTILLA_CREW__WORKERS: 'auto',
      },
    });
    started.push(svc);
    return svc;
  };

  // One CPU's worth of quota: one process, no group.
  writeFileSync(join(cgroup, 'cpu.cfs_period_us'), '100000');
  writeFileSync(join(cgroup, 'cpu.cfs_quota_us'), '100000');
  const limited = await start();
  assert.deepEqual(children(limited.process.pid as number), [], 'no workers forked');
  assert.doesNotMatch(limited.stdout(), /crew starting/);
  assert.equal(await limited.stop(), 0);

  // No quota: a worker per CPU.
  writeFileSync(join(cgroup, 'cpu.cfs_quota_us'), '-1');
  const unlimited = await start();
  const cpus = availableParallelism();
  await unlimited.printed(new RegExp(`crew starting ${cpus} workers \\(auto: ${cpus} CPUs\\)`));
  await unlimited.printed(new RegExp(`crew group ready: ${cpus} workers`));
  assert.equal(children(unlimited.process.pid as number).length, cpus);
  assert.equal(await unlimited.stop(), 0);
});
