/**
 * Upstream guards in a real gateway process, each against a controlled
 * misbehaving upstream: retries on another instance and their budget
 * (counted at the upstream), no retry for a POST without Idempotency-Key,
 * the SRE breaker opening under failure (and saying why) and closing after
 * recovery, deadlines propagated as a shrinking `x-request-timeout`, and
 * load shedding by in-flight requests while /healthz stays up.
 *
 * Requests are sent one after another (the shedding test holds two on
 * purpose), so the gateway's in-flight limit of 2 only bites there.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@flotilla/testing';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.ts';
import { json, send, startUpstream, type Answer, type Upstream } from '../support/http.ts';
import { authYaml, guardOf, isProblem, problemOf, problemType, sendUntil } from '../support/policies.ts';

/** The retry budget of `down`: 20 % of requests plus 6 retries per minute-long window (the test runs well inside one window). */
const DOWN_BUDGET = { ratio: 0.2, minRetriesPerSecond: 0.1, windowMs: 60_000 };
const DOWN_FLOOR = DOWN_BUDGET.minRetriesPerSecond * (DOWN_BUDGET.windowMs / 1_000);

describe('gateway upstream guards (retries, budget, breaker, deadlines, shedding)', () => {
  const upstreams: Record<string, Upstream> = {};
  let flakyFailing = true;
  const held: ServerResponse[] = [];
  let gateway: ChildGateway;

  before(async () => {
    const started = await Promise.all([
      startUpstream((_req, res) => json(res, 200, { who: 'good' })),
      startUpstream((_req, res) => json(res, 503, { who: 'bad' })),
      startUpstream((_req, res) => json(res, 503, { who: 'down' })),
      startUpstream((_req, res) => json(res, 503, { who: 'writes' })),
      startUpstream((_req, res) => json(res, flakyFailing ? 503 : 200, { who: 'flaky' })),
      // Answers after a second, unless the gateway gave up first.
      startUpstream((_req, res) => {
        const timer = setTimeout(() => json(res, 200, { who: 'slow' }), 1_000);
        res.on('close', () => clearTimeout(timer));
      }),
      startUpstream((_req, res) => void held.push(res)),
      startUpstream((_req, res) => json(res, 200, { who: 'quick' })),
    ]);
    const names = ['good', 'bad', 'down', 'writes', 'flaky', 'slow', 'held', 'quick'] as const;
    names.forEach((name, i) => {
      upstreams[name] = started[i]!;
    });
    const u = upstreams as Record<(typeof names)[number], Upstream>;
    gateway = await startChildGateway(`proxy: { accessLog: false }
# In-flight limit for the shedding test; the event-loop signal is kept out of it (a busy test machine).
shedding: { maxInFlight: 2, maxEventLoopDelayMs: 60000 }
# Every attempt goes to the next instance, and failing instances are never ejected: retries, not the balancer, must save the day.
balancing: { strategy: round-robin, ejection: { enabled: false } }
upstreams:
  pair:   { instances: ['${u.good.url}', '${u.bad.url}'] }
  down:   { instances: ['${u.down.url}'] }
  writes: { instances: ['${u.writes.url}'] }
  flaky:  { instances: ['${u.flaky.url}'] }
  slow:   { instances: ['${u.slow.url}'] }
  held:   { instances: ['${u.held.url}'] }
  quick:  { instances: ['${u.quick.url}'] }
${authYaml()}resilience:
  defaults:
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }
    breaker: { enabled: false }
  upstreams:
    pair:  { retry: { budget: { ratio: 1, minRetriesPerSecond: 10 } } }
    down:  { retry: { budget: ${JSON.stringify(DOWN_BUDGET)} } }
    flaky: { retry: { enabled: false }, breaker: { enabled: true, k: 2, windowMs: 2000, minRequests: 10 } }
routes:
  - { name: pair,   path: /api/pair/**,   upstream: pair,   stripPrefix: /api }
  - { name: down,   path: /api/down/**,   upstream: down,   stripPrefix: /api }
  - { name: writes, path: /api/writes/**, upstream: writes, stripPrefix: /api }
  - { name: flaky,  path: /api/flaky/**,  upstream: flaky,  stripPrefix: /api }
  - { name: slow,   path: /api/slow/**,   upstream: slow,   stripPrefix: /api }
  - { name: slow-route, path: /api/slow-route/**, upstream: slow, stripPrefix: /api/slow-route, timeoutMs: 250 }
  - { name: held,   path: /api/held/**,   upstream: held,   stripPrefix: /api }
  - { name: quick,  path: /api/quick/**,  upstream: quick,  stripPrefix: /api, priority: critical }
`);
  });
  after(async () => {
    for (const res of held.splice(0)) res.destroy();
    await gateway?.stop();
    await Promise.all(Object.values(upstreams).map((u) => u.close()));
  });

  test('GETs succeed although one of two instances answers 503: each failed attempt is retried on the other', async () => {
    for (let i = 0; i < 20; i++) {
      const answer = await send(`${gateway.url}/api/pair/x`);
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.json<{ who: string }>().who, 'good');
    }
    assert.equal(upstreams.good!.seen.length, 20);
    assert.ok(upstreams.bad!.seen.length >= 10, `the failing instance was tried ${upstreams.bad!.seen.length} times`);
  });

  test('with the only instance failing 100 %, attempts stay within the retry budget', async (t) => {
    const requests = 50;
    for (let i = 0; i < requests; i++) {
      const answer = await send(`${gateway.url}/api/down/x`);
      assert.equal(answer.status, 503, "the upstream's last answer is passed on");
    }
    const attempts = upstreams.down!.seen.length;
    const allowed = requests * (1 + DOWN_BUDGET.ratio) + DOWN_FLOOR;
    t.diagnostic(`${attempts} attempts for ${requests} requests (budget allows ${allowed})`);
    assert.ok(attempts <= allowed, `${attempts} attempts reached the upstream for ${requests} requests; the budget allows ${allowed}`);
    assert.ok(attempts > requests, `retries did happen (${attempts} attempts), within the budget`);
    const budget = (await guardOf(gateway.url, 'down'))?.retry?.budget;
    assert.equal(budget?.requests, requests);
    assert.equal(budget?.retries, attempts - requests);
  });

  test('a POST without Idempotency-Key is not retried; with one (and no body) it is', async () => {
    const writes = upstreams.writes!;
    const post = (headers: Record<string, string>, body = '') =>
      send(`${gateway.url}/api/writes/x`, {
        method: 'POST',
        headers: { 'content-length': String(body.length), ...headers },
        body,
      });

    assert.equal((await post({})).status, 503);
    assert.equal(writes.seen.length, 1, 'one attempt only');

    assert.equal((await post({ 'content-type': 'application/json' }, '{"a":1}')).status, 503);
    assert.equal(writes.seen.length, 2, 'a body is never sent twice');

    assert.equal((await post({ 'idempotency-key': 'k-1' })).status, 503);
    assert.equal(writes.seen.length, 5, 'idempotent by key: all three attempts');
  });

  test('breaker: the upstream failing 100 % → circuit-open without calling it, visible at /admin/breakers; closes after recovery', async (t) => {
    const flaky = upstreams.flaky!;
    let reachedBeforeOpen = 0;
    const rejected = await sendUntil(
      `${gateway.url}/api/flaky/x`,
      (answer) => {
        const reached = flaky.seen.length > reachedBeforeOpen;
        reachedBeforeOpen = flaky.seen.length;
        assert.equal(answer.status, 503);
        if (isProblem(answer, 'circuit-open')) {
          assert.equal(reached, false, 'a rejected call never reaches the upstream');
          return true;
        }
        assert.equal(reached, true, 'an answer that is not circuit-open came from the upstream');
        return false;
      },
      'the first circuit-open answer',
      { max: 1_000, timeoutMs: 30_000 },
    );
    assert.ok(reachedBeforeOpen >= 10, `the breaker judged only after minRequests (${reachedBeforeOpen} calls reached the upstream)`);
    const problem = problemOf(rejected);
    assert.equal(problem.upstream, 'flaky');
    assert.ok(Number(rejected.headers['retry-after']) >= 1);

    // Under continued failure: every circuit-open answer leaves the upstream untouched, and the admin endpoint says open, and why.
    const meanwhile: Array<{ status: number; circuitOpen: boolean; upstreamUntouched: boolean }> = [];
    const open = await eventually(
      async () => {
        const before = flaky.seen.length;
        const answer = await send(`${gateway.url}/api/flaky/x`);
        meanwhile.push({
          status: answer.status,
          circuitOpen: isProblem(answer, 'circuit-open'),
          upstreamUntouched: flaky.seen.length === before,
        });
        const view = await guardOf(gateway.url, 'flaky');
        return view?.breaker?.state === 'open' ? view.breaker : undefined;
      },
      { timeoutMs: 30_000, message: 'the breaker shown open' },
    );
    for (const answer of meanwhile) {
      assert.equal(answer.status, 503);
      assert.equal(answer.upstreamUntouched, answer.circuitOpen, 'circuit-open exactly when the upstream was not called');
    }
    t.diagnostic(`first circuit-open after ${reachedBeforeOpen} upstream calls; open: ${open.reason}`);
    assert.match(open.reason, /error ratio [\d.]+ over \d+ s, \d+ requests/);
    assert.ok(open.probability >= 0.9);
    await eventually(async () => /circuit to flaky opened: error ratio/.test(gateway.output()), { message: 'the breaker-opened log line' });

    flakyFailing = false;
    const closed = await eventually(
      async () => {
        await send(`${gateway.url}/api/flaky/x`);
        const view = await guardOf(gateway.url, 'flaky');
        return view?.breaker?.state === 'closed' ? view.breaker : undefined;
      },
      { timeoutMs: 30_000, message: 'the breaker closed after recovery' },
    );
    t.diagnostic(`closed: ${closed.reason}`);
    assert.ok(closed.reason.length > 0);
    assert.equal((await send(`${gateway.url}/api/flaky/x`)).status, 200);
    await eventually(async () => /circuit to flaky closed/.test(gateway.output()), { message: 'the breaker-closed log line' });
  });

  test("deadline: a client's x-request-timeout: 300 reaches the upstream shrunk, and the answer is 504 deadline-exceeded", async () => {
    const slow = upstreams.slow!;
    const answer = await send(`${gateway.url}/api/slow/x`, { headers: { 'x-request-timeout': '300' } });
    assert.equal(answer.status, 504, answer.body);
    assert.equal(problemOf(answer).type, problemType('deadline-exceeded'));
    assert.equal(slow.seen.length, 1, 'a deadline is not retried');
    const propagated = Number(slow.seen[0]!.headers['x-request-timeout']);
    assert.ok(propagated > 0 && propagated <= 300, `upstream got x-request-timeout ${propagated}`);
  });

  test("deadline: a route timeout shorter than the client's wins", async () => {
    const slow = upstreams.slow!;
    const answer = await send(`${gateway.url}/api/slow-route/x`, { headers: { 'x-request-timeout': '5000' } });
    assert.equal(answer.status, 504, answer.body);
    assert.equal(problemOf(answer).type, problemType('deadline-exceeded'));
    const propagated = Number(slow.seen.at(-1)!.headers['x-request-timeout']);
    assert.ok(propagated > 0 && propagated <= 250, `upstream got x-request-timeout ${propagated}`);
  });

  test('shedding: with two requests in flight a third low-priority one is 503 overloaded; /healthz and a critical route still answer', async () => {
    const pending = [send(`${gateway.url}/api/held/1`), send(`${gateway.url}/api/held/2`)];
    await eventually(async () => held.length === 2, { message: 'two requests held by the upstream' });

    // The route decides the priority; a client claiming `critical` does not escape.
    const shed = await send(`${gateway.url}/api/held/3`, { headers: { 'x-flotilla-priority': 'critical' } });
    assert.equal(shed.status, 503, shed.body);
    assert.equal(problemOf(shed).type, problemType('overloaded'));
    assert.ok(Number(shed.headers['retry-after']) >= 1);
    assert.equal(held.length, 2, 'the shed request never reached the upstream');

    assert.equal((await send(`${gateway.url}/healthz`)).status, 200);
    assert.equal((await send(`${gateway.url}/api/quick/x`)).status, 200, 'a critical route is served at this level');

    for (const res of held.splice(0)) json(res, 200, { who: 'held' });
    const answers: Answer[] = await Promise.all(pending);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
    // Served again once the load is gone.
    const fourth = send(`${gateway.url}/api/held/4`);
    await eventually(async () => held.length === 1, { message: 'the fourth request at the upstream' });
    json(held.pop()!, 200, { who: 'held' });
    assert.equal((await fourth).status, 200);
  });
});
