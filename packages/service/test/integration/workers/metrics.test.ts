/** /metrics on any worker answers for the whole group, and keeps counting through a rolling restart. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExposition, select } from '@flotilla/testing';
import { CREW, freshGet, startGroup } from './support.ts';

const REQUESTS = 30;

function whoamiCount(text: string): number {
  const samples = select(parseExposition(text), 'http_server_request_duration_seconds_count', { http_route: '/whoami' });
  return samples.reduce((sum, s) => sum + s.value, 0);
}

test('every worker serves the group metrics: counters summed, constants once, per-process gauges labelled', async (t) => {
  const group = await startGroup(CREW, 'crew', 2);
  t.after(() => group.destroy());
  const pids = new Set<number>();
  for (let i = 0; i < REQUESTS; i++) pids.add((JSON.parse((await freshGet(`${group.url}/whoami`)).body) as { pid: number }).pid);
  assert.equal(pids.size, 2, 'both workers counted some');

  // Fresh connections: the scrapes land on both workers; each answers the same totals.
  for (let scrape = 0; scrape < 4; scrape++) {
    const answer = await freshGet(`${group.url}/metrics`);
    assert.equal(answer.status, 200);
    assert.equal(whoamiCount(answer.body), REQUESTS);
    const samples = parseExposition(answer.body);
    assert.equal(select(samples, 'flotilla_service_info').length, 1, 'a constant appears once');
    assert.equal(select(samples, 'nodejs_version_info').length, 1);
    const cpu = select(samples, 'process_cpu_seconds_total');
    assert.equal(cpu.length, 1, 'process CPU summed over the workers');
    assert.deepEqual(
      select(samples, 'flotilla_shed_active')
        .map((s) => s.labels.worker)
        .sort(),
      ['1', '2'],
      "a worker's own state, one series per worker",
    );
  }

  group.svc.process.kill('SIGHUP');
  await group.svc.printed(/rolling restart done/);
  const afterRoll = await freshGet(`${group.url}/metrics`);
  assert.equal(whoamiCount(afterRoll.body), REQUESTS, 'the counts of the workers that left are kept');
  assert.equal(await group.svc.stop(), 0);
});
