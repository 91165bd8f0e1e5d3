/** SIGHUP: a rolling restart under load, one worker at a time, without a failed request. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CREW, load, startGroup } from './support.ts';

test('a rolling restart under load fails no request and replaces every worker', async (t) => {
  const group = await startGroup(CREW, 'crew', 2);
  t.after(() => group.destroy());
  const before = [...group.workers().values()];
  let signalled = false;
  let rolled = false;
  const outcome = await load(`${group.url}/whoami`, {
    concurrency: 4,
    // Bounded; the roll is over long before.
    total: 200_000,
    until: () => rolled,
    onProgress: (done) => {
      if (done === 500) {
        group.svc.process.kill('SIGHUP');
        signalled = true;
      }
      if (signalled && !rolled) rolled = /rolling restart done/.test(group.svc.stdout());
    },
  });
  t.diagnostic(`${outcome.sent} requests during the roll, ${outcome.failed} failed`);
  assert.ok(rolled, 'the roll finished while the load ran');
  assert.equal(outcome.failed, 0, outcome.failures.slice(0, 5).join('; '));
  const after = [...group.workers().values()];
  assert.equal(after.length, 2);
  for (const pid of after) assert.ok(!before.includes(pid), 'every worker is new');
  // Each slot's new worker was ready before its old one was asked to leave.
  const lines = group.svc.stdout();
  for (const slot of [1, 2]) {
    const ready = lines.lastIndexOf(`worker ${slot} ready`);
    assert.ok(ready > lines.indexOf('rolling restart of 2 workers'));
  }
  assert.ok(outcome.pids.size >= 3, 'old and new workers both answered during the roll');
  assert.equal(await group.svc.stop(), 0);
});
