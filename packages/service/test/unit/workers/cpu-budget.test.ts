/** CPU budget from cgroup files laid out as the kernel shows them, in a folder of the test's own. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@flotilla/testing';
import { cpuBudget } from '../../../src/workers/cpu-budget.ts';
import { describeCount, workerCount } from '../../../src/workers/count.ts';

function machine(files: Record<string, string>): { root: string; remove(): void } {
  const dir = tempDir('cpu-budget');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir.path, path, '..'), { recursive: true });
    writeFileSync(join(dir.path, path), text);
  }
  return { root: dir.path, remove: dir.remove };
}

const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
].join('\n');

test('cgroup v1: the tightest quota from the process cgroup up to the mount, rounded down', () => {
  const m = machine({
    'proc/self/cgroup': '5:memory:/kubepods/pod1/c1\n4:cpu,cpuacct:/kubepods/pod1/c1\n0::/\n',
    'proc/self/mountinfo': V1_MOUNTS,
    'sys/fs/cgroup/cpu,cpuacct/kubepods/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu,cpuacct/kubepods/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us': '250000\n',
    'sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/c1/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/c1/cpu.cfs_period_us': '100000\n',
  });
  try {
    assert.deepEqual(cpuBudget({ root: m.root, available: 8, env: {} }), { cpus: 2, available: 8, limit: 2.5, source: 'cgroup v1' });
    assert.equal(cpuBudget({ root: m.root, available: 1, env: {} }).cpus, 1, 'never more than the affinity mask allows');
  } finally {
    m.remove();
  }
});

test('cgroup v1 without a cgroup namespace: the mount shows the container part of the host path', () => {
  const m = machine({
    'proc/self/cgroup': '1:cpu:/docker/abc\n',
    'proc/self/mountinfo': '40 31 0:29 /docker/abc /sys/fs/cgroup/cpu ro,nosuid - cgroup cgroup rw,cpu\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '150000',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
  });
  try {
    assert.deepEqual(cpuBudget({ root: m.root, available: 4, env: {} }), { cpus: 1, available: 4, limit: 1.5, source: 'cgroup v1' });
  } finally {
    m.remove();
  }
});

test('cgroup v2: cpu.max up the hierarchy; "max" is no limit; under one CPU still gives one worker', () => {
  const m = machine({
    'proc/self/cgroup': '0::/kubepods.slice/pod.slice/cri.scope\n',
    'proc/self/mountinfo': '29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n',
    'sys/fs/cgroup/kubepods.slice/cpu.max': 'max 100000\n',
    'sys/fs/cgroup/kubepods.slice/pod.slice/cpu.max': '50000 100000\n',
    'sys/fs/cgroup/kubepods.slice/pod.slice/cri.scope/cpu.max': 'max 100000\n',
  });
  try {
    assert.deepEqual(cpuBudget({ root: m.root, available: 16, env: {} }), { cpus: 1, available: 16, limit: 0.5, source: 'cgroup v2' });
  } finally {
    m.remove();
  }
});

test('no limit anywhere (or nothing readable): the affinity mask decides', () => {
  const m = machine({
    'proc/self/cgroup': '0::/\n',
    'proc/self/mountinfo': '29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
    'sys/fs/cgroup/cpu.max': 'max 100000\n',
  });
  try {
    assert.deepEqual(cpuBudget({ root: m.root, available: 6, env: {} }), { cpus: 6, available: 6, limit: undefined, source: 'none' });
    assert.equal(cpuBudget({ root: join(m.root, 'missing'), available: 3, env: {} }).cpus, 3);
  } finally {
    m.remove();
  }
});

test('hybrid hierarchy: the v1 cpu controller is read, not the empty v2 one', () => {
  const m = machine({
    'proc/self/cgroup': '1:cpu:/job\n0::/\n',
    'proc/self/mountinfo': [
      '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n'),
    'sys/fs/cgroup/cpu/job/cpu.cfs_quota_us': '300000',
    'sys/fs/cgroup/cpu/job/cpu.cfs_period_us': '100000',
  });
  try {
    assert.equal(cpuBudget({ root: m.root, available: 8, env: {} }).cpus, 3);
  } finally {
    m.remove();
  }
});

test('FLOTILLA_CPU_BUDGET (set by the operator from the Pod resources) caps the count when it is tighter', () => {
  const m = machine({
    'proc/self/cgroup': '1:cpu:/job\n',
    'proc/self/mountinfo': '32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n',
    'sys/fs/cgroup/cpu/job/cpu.cfs_quota_us': '300000',
    'sys/fs/cgroup/cpu/job/cpu.cfs_period_us': '100000',
  });
  try {
    const budget = (value: string | undefined) => cpuBudget({ root: m.root, available: 8, env: { FLOTILLA_CPU_BUDGET: value } });
    assert.deepEqual(budget('2'), { cpus: 2, available: 8, limit: 2, source: 'FLOTILLA_CPU_BUDGET' });
    assert.equal(budget('5').cpus, 3, 'the cgroup limit is tighter');
    assert.equal(budget('0').cpus, 3, 'not a whole number of at least 1: ignored');
    assert.equal(budget('1.5').cpus, 3);
    assert.equal(cpuBudget({ root: join(m.root, 'missing'), available: 8, env: { FLOTILLA_CPU_BUDGET: '1' } }).cpus, 1);
  } finally {
    m.remove();
  }
});

test('workers: a number is taken as it is; auto is the CPU budget, described for the start-up line', () => {
  assert.deepEqual(workerCount(3), { count: 3, budget: undefined });
  assert.equal(describeCount(workerCount(3)), '3 workers');
  const limited = workerCount('auto', () => ({ cpus: 1, available: 2, limit: 1.5, source: 'cgroup v1' }));
  assert.equal(limited.count, 1);
  assert.equal(describeCount(limited), '1 worker (auto: cgroup v1 limit 1.5 of 2 CPUs)');
  assert.equal(
    describeCount(workerCount('auto', () => ({ cpus: 2, available: 2, limit: undefined, source: 'none' }))),
    '2 workers (auto: 2 CPUs)',
  );
});
