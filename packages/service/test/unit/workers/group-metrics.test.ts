/** Merging the metrics of a group of workers (MetricsRegistry.workerGroup) as the primary does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExposition, select } from '@flotilla/testing';
import { MetricsRegistry } from '@flotilla/telemetry';

function worker(requests: number, inFlight: number, poolSize: number): MetricsRegistry {
  const registry = new MetricsRegistry();
  registry.counter({ name: 'jobs_total', help: 'jobs', labelNames: ['kind'] }).inc({ kind: 'a' }, requests);
  registry.histogram({ name: 'job_seconds', help: 'job time', buckets: [0.1, 1] }).observe(0.05);
  registry.gauge({ name: 'jobs_in_flight', help: 'now', aggregator: 'sum' }).set(inFlight);
  registry.gauge({ name: 'build_info', help: 'constant', labelNames: ['version'], aggregator: 'first' }).set({ version: '1' }, 1);
  registry.gauge({ name: 'pool_size', help: 'per process' }).set(poolSize);
  return registry;
}

test('counters and histograms are summed, gauges as their creators chose (per worker by default)', async () => {
  const group = MetricsRegistry.workerGroup();
  const text = await group.render([
    { worker: '1', metrics: await worker(3, 1, 4).snapshot() },
    { worker: '2', metrics: await worker(5, 2, 6).snapshot() },
  ]);
  const samples = parseExposition(text);
  assert.equal(select(samples, 'jobs_total', { kind: 'a' })[0]?.value, 8);
  assert.equal(select(samples, 'job_seconds_count')[0]?.value, 2);
  assert.equal(select(samples, 'job_seconds_bucket', { le: '0.1' })[0]?.value, 2);
  assert.equal(select(samples, 'jobs_in_flight')[0]?.value, 3);
  assert.deepEqual(
    select(samples, 'build_info').map((s) => s.value),
    [1],
  );
  assert.deepEqual(
    select(samples, 'pool_size').map((s) => [s.labels.worker, s.value]),
    [
      ['1', 4],
      ['2', 6],
    ],
  );
});

test('a worker that has gone keeps its counts in the totals, not its gauges', async () => {
  const group = MetricsRegistry.workerGroup();
  const gone = worker(3, 1, 4);
  const staying = worker(5, 2, 6);
  group.retire(await gone.snapshot());
  const text = await group.render([{ worker: '2', metrics: await staying.snapshot() }]);
  const samples = parseExposition(text);
  assert.equal(select(samples, 'jobs_total')[0]?.value, 8, 'the group counter did not go down');
  assert.equal(select(samples, 'job_seconds_count')[0]?.value, 2);
  assert.equal(select(samples, 'jobs_in_flight')[0]?.value, 2);
  assert.deepEqual(
    select(samples, 'pool_size').map((s) => s.labels.worker),
    ['2'],
  );
  // A second departure adds to the first (3 + 1), with no live worker left.
  group.retire(await worker(1, 0, 0).snapshot());
  assert.equal(select(parseExposition(await group.render([])), 'jobs_total')[0]?.value, 4);
});

test('a registry serving a group view answers metrics() through it', async () => {
  const registry = worker(1, 0, 1);
  registry.serveGroupView(async () => 'group_view 1\n');
  assert.equal(await registry.metrics(), 'group_view 1\n');
  registry.serveGroupView(undefined);
  assert.match(await registry.metrics(), /jobs_total\{kind="a"\} 1/);
});
