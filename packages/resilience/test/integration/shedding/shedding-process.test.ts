/**
 * Load shedding in a real service process (defineService + the kit's HTTP
 * server, settings from env): a handler that blocks the event loop, and
 * requests held in flight. New work gets 503 + Retry-After while /healthz
 * stays 200, and is accepted again once the load is gone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, type ServiceProcess, startServiceProcess } from '@flotilla/testing';

const fixture = join(import.meta.dirname, 'fixtures', 'shedding-service.ts');

async function startSheddy(
  t: { after(fn: () => Promise<void>): void },
  env: Record<string, string>,
): Promise<{ child: ServiceProcess; url: string }> {
  const child = await startServiceProcess(fixture, 'sheddy', {
    env: {
      ...process.env,
      FLOTILLA_CONFIG_DIR: '/nonexistent',
      FLOTILLA_SHEDDY__HTTP__HOST: '127.0.0.1',
      FLOTILLA_SHEDDY__HTTP__PORT: '0',
      ...env,
    },
  });
  t.after(() => child.kill9());
  return { child, url: child.url };
}

function logged(child: ServiceProcess, action: string): boolean {
  return child.stdout().includes(`"action":"${action}"`);
}

test('a blocked event loop: new work is shed with 503 + Retry-After, /healthz stays 200, work is accepted after the load', {
  timeout: 60_000,
}, async (t) => {
  const { child, url } = await startSheddy(t, {
    FLOTILLA_SHEDDY__SHEDDING__MAX_EVENT_LOOP_DELAY_MS: '250',
    FLOTILLA_SHEDDY__SHEDDING__RETRY_AFTER_SECONDS: '2',
  });
  // Idle: served (a busy CI host can make even an idle loop late now and then, hence a wait rather than one try).
  await eventually(async () => (await fetch(`${url}/work`)).status === 200, { message: 'work served while idle' });

  // The load: one 600 ms block after another. Critical, so the load itself is never shed and lasts until stopped.
  let loading = true;
  const load = (async () => {
    let sent = 0;
    while (loading && sent++ < 200) await fetch(`${url}/busy?ms=600`, { headers: { 'x-flotilla-priority': 'critical' } });
  })();
  try {
    const refused = await eventually(
      async () => {
        const response = await fetch(`${url}/work`);
        if (response.status === 503) return response;
        await response.body?.cancel();
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, message: 'a 503 for ordinary work under load' },
    );
    assert.equal(refused.headers.get('retry-after'), '2');
    const problem = (await refused.json()) as Record<string, unknown>;
    assert.equal(problem.type, 'https://flotilla.dev/problems/overloaded');
    assert.equal(problem.reason, 'event-loop-delay');

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200, 'liveness is never shed');
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200, 'metrics are never shed');
    assert.match(await metrics.text(), /flotilla_shed_requests_total\{reason="event-loop-delay"\} [1-9]/);
  } finally {
    loading = false;
    await load;
  }

  await eventually(async () => (await fetch(`${url}/work`)).status === 200, {
    timeoutMs: 30_000,
    intervalMs: 50,
    message: 'ordinary work accepted again',
  });
  await eventually(() => logged(child, 'load-shedding-stopped'), { message: 'the shedding-stopped log line' });
  // Logged before the stop line, so here once that one is.
  assert.ok(logged(child, 'load-shedding-started'));
});

test('too many requests in flight: new low-priority work is shed until they finish; health and high priority pass', {
  timeout: 60_000,
}, async (t) => {
  const { url, child } = await startSheddy(t, { FLOTILLA_SHEDDY__SHEDDING__MAX_IN_FLIGHT: '2' });
  const holds = [fetch(`${url}/hold`), fetch(`${url}/hold`)];
  await child.printed(/holding 2/);

  const refused = await fetch(`${url}/work`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal(((await refused.json()) as { reason: string }).reason, 'in-flight');
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  assert.equal(
    (await fetch(`${url}/work`, { headers: { 'x-flotilla-priority': 'high' } })).status,
    200,
    'high priority is shed only at twice the limit',
  );

  const released = await fetch(`${url}/release`, { method: 'POST', headers: { 'x-flotilla-priority': 'critical' } });
  assert.deepEqual(await released.json(), { released: 2 });
  assert.deepEqual(await Promise.all(holds.map(async (h) => (await h).status)), [200, 200]);
  await eventually(async () => (await fetch(`${url}/work`)).status === 200, { message: 'work accepted once the held requests finished' });
});
