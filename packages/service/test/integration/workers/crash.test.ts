/** A worker killed under load: only what it had in flight fails, and the primary replaces it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '@flotilla/testing';
import { CREW, freshGet, load, startGroup } from './support.ts';

const TOTAL = 2_000;

test('killing one worker under load fails at most 0.1 % of the requests, and it is replaced', async (t) => {
  const group = await startGroup(CREW, 'crew', 2);
  t.after(() => group.destroy());
  const victim = group.workers().get(1) as number;
  let killed = false;
  const outcome = await load(`${group.url}/whoami`, {
    concurrency: 2,
    total: TOTAL,
    onProgress: (done) => {
      // A quarter in, with requests in flight on both workers.
      if (done === TOTAL / 4) {
        process.kill(victim, 'SIGKILL');
        killed = true;
      }
    },
  });
  t.diagnostic(`${outcome.failed} of ${TOTAL} requests failed when worker 1 was killed`);
  assert.ok(killed);
  assert.equal(outcome.sent, TOTAL);
  assert.ok(outcome.failed <= TOTAL / 1_000, `${outcome.failed} of ${TOTAL} failed: ${outcome.failures.join('; ')}`);

  await group.svc.printed(/worker 1 \(pid \d+\) exited \(signal SIGKILL\); replacing it/);
  await group.svc.printed(/worker 1 replaced \(pid \d+\)/);
  const replacement = group.workers().get(1) as number;
  assert.notEqual(replacement, victim);
  // The new worker takes connections again.
  await eventually(async () => (JSON.parse((await freshGet(`${group.url}/whoami`)).body) as { pid: number }).pid === replacement, {
    message: 'an answer from the replacement',
  });
  assert.equal(await group.svc.stop(), 0);
});
