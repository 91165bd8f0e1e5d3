/** SIGTERM to the primary: every worker drains its in-flight requests, then the group exits 0. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '@flotilla/testing';
import { CREW, freshGet, startGroup } from './support.ts';

test('SIGTERM drains every worker, then the primary exits 0 and the port is closed', async (t) => {
  const group = await startGroup(CREW, 'crew', 2);
  t.after(() => group.destroy());
  const workers = [...group.workers().values()];
  // Slow requests, each on a new connection (handed to the workers in turn), until both workers have one in flight.
  const inFlight: Array<Promise<{ status: number; body: string }>> = [];
  const sleeping = (): number[] =>
    group.svc
      .stdout()
      .split('\n')
      .filter((line) => line.includes('sleeping 1500 ms'))
      .map((line) => (JSON.parse(line) as { 'process.pid': number })['process.pid']);
  while (new Set(sleeping()).size < 2 && inFlight.length < 8) {
    inFlight.push(freshGet(`${group.url}/slow?ms=1500`));
    // Every request sent is being served before the signal: none can arrive during the drain.
    await eventually(() => sleeping().length === inFlight.length, { message: 'the request to be in flight' });
  }
  group.svc.process.kill('SIGTERM');
  const answers = await Promise.all(inFlight);
  for (const answer of answers) assert.equal(answer.status, 200, answer.body);
  assert.deepEqual(new Set(answers.map((a) => (JSON.parse(a.body) as { pid: number }).pid)), new Set(workers));
  assert.equal(await group.svc.exited, 0);
  await assert.rejects(freshGet(`${group.url}/whoami`), 'the port no longer accepts connections');
  const messages = group.svc
    .stdout()
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { message: string }).message);
  assert.equal(messages.filter((m) => m === 'crew stopped').length, 2, 'each worker stopped gracefully');
  assert.ok(messages.indexOf('deregistered from the local registry') < messages.indexOf('crew stopped'), 'deregistered before the drain');
  assert.equal(messages[messages.length - 1], 'crew group stopped');
});
