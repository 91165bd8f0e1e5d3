/**
 * Whatever ends `flotilla dev` (Ctrl-C, SIGTERM, the terminal closing, or
 * SIGKILL, which it cannot handle), none of its processes survive it and
 * every port it used can be listened on again.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, startDev } from '@flotilla/testing';

/** Instances still registered in the local registry: none once every process stopped gracefully. */
function registered(home: string): string[] {
  const root = join(home, 'registry', 'dev');
  try {
    return readdirSync(root).flatMap((service) => readdirSync(join(root, service)).map((file) => `${service}/${file}`));
  } catch {
    return [];
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
  test(`${signal} to flotilla dev leaves no process and no port behind`, async (t) => {
    const run = await startDev();
    t.after(() => run.cleanup());
    await run.printed(/Ctrl-C stops everything\./);
    const supervisor = run.supervisorPid();
    const started = run.pids();
    assert.equal(started.length, 5, `the supervisor and its four processes: ${started.join(', ')}`);
    assert.equal(registered(run.home.path).length, 4, 'four instances registered');

    process.kill(supervisor, signal);

    await eventually(() => run.pids().length === 0, {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: `every process of the run to exit after ${signal} (left: ${run.pids().join(', ')})`,
    });
    await eventually(() => run.portsFree(), { timeoutMs: 10_000, intervalMs: 100, message: 'every port of the run to be free' });
    // Each process stopped gracefully (it deregistered itself), not merely died.
    assert.deepEqual(registered(run.home.path), []);
  });
}
