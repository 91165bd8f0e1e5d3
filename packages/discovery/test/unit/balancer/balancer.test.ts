/** Balancers over a live set: strategies, passive health, locality failover and failback. */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { performance } from 'node:perf_hooks';
import { createBalancer, NoInstanceError } from '../../../src/balancer/index.ts';
import { instanceFromSpec } from '../../../src/instance.ts';
import { LiveInstanceSet } from '../../../src/instance-set.ts';
import type { Instance, InstanceSpec } from '../../../src/types.ts';
import { UnavailableError } from '@flotilla/core';

function instance(id: string, extra: Partial<InstanceSpec> = {}): Instance {
  return instanceFromSpec({ service: 'svc', id, address: '10.0.0.1', ports: { http: 8080, grpc: 9090 }, ...extra });
}

function setOf(...instances: Instance[]): LiveInstanceSet {
  const set = new LiveInstanceSet('svc');
  set.replace(instances);
  return set;
}

function tally(pickIds: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of pickIds) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

/** Stands in for performance.now(), the balancer's clock, for one test: time moves only when the test advances it. */
function simulatedClock(t: TestContext): { advance(ms: number): void } {
  let now = 0;
  t.mock.method(performance, 'now', () => now);
  return {
    advance(ms) {
      now += ms;
    },
  };
}

describe('round robin', () => {
  test('spreads evenly, and by weight in a smooth interleaving', () => {
    const even = createBalancer({ strategy: 'round-robin' }, setOf(instance('a'), instance('b'), instance('c')));
    const ids = Array.from({ length: 9 }, () => {
      const pick = even.pick();
      pick.done({ ok: true });
      return pick.instance.id;
    });
    assert.deepEqual(tally(ids), { a: 3, b: 3, c: 3 });

    const weighted = createBalancer(
      { strategy: 'round-robin' },
      setOf(instance('a', { weight: 500 }), instance('b', { weight: 100 }), instance('c', { weight: 100 })),
    );
    const sequence = Array.from({ length: 7 }, () => weighted.pick().instance.id).join('');
    assert.equal(sequence, 'aabacaa');
  });
});

describe('P2C', () => {
  test('steers away from an instance whose requests are slow', () => {
    const balancer = createBalancer({}, setOf(instance('fast-1'), instance('fast-2'), instance('slow')));
    const picks: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const pick = balancer.pick();
      picks.push(pick.instance.id);
      pick.done({ ok: true, latencyMs: pick.instance.id === 'slow' ? 200 : 5 });
    }
    const counts = tally(picks.slice(500));
    const slowShare = (counts.slow ?? 0) / 2500;
    assert.ok(slowShare < 0.05, `slow instance got ${(slowShare * 100).toFixed(1)}% of picks`);
    assert.ok((counts['fast-1'] ?? 0) > 800 && (counts['fast-2'] ?? 0) > 800, JSON.stringify(counts));
    const stats = Object.fromEntries(balancer.stats().map((s) => [s.id, s]));
    assert.ok(stats.slow!.ewmaLatencyMs! > 100);
  });

  test('prefers the instance with fewer requests in flight when latencies are equal', () => {
    const balancer = createBalancer({}, setOf(instance('a'), instance('b')));
    for (let round = 0; round < 20; round++) {
      const inflight = Object.fromEntries(balancer.stats().map((s) => [s.id, s.inflight]));
      const pick = balancer.pick(); // held open: in-flight counts keep growing
      // With two candidates P2C compares both: the less busy one wins (equal latencies).
      if (inflight.a !== inflight.b) assert.equal(pick.instance.id, inflight.a! < inflight.b! ? 'a' : 'b', JSON.stringify(inflight));
    }
    const inflight = balancer.stats().map((s) => s.inflight);
    assert.deepEqual(inflight, [10, 10]);
  });

  test('done() twice counts once; an omitted latency is measured', (t) => {
    const clock = simulatedClock(t);
    const balancer = createBalancer({}, setOf(instance('a')));
    const pick = balancer.pick();
    clock.advance(30);
    pick.done({ ok: true });
    pick.done({ ok: false });
    const [stats] = balancer.stats();
    assert.equal(stats!.inflight, 0);
    assert.equal(stats!.consecutiveFailures, 0);
    assert.equal(stats!.ewmaLatencyMs, 30, 'the time from pick() to done()');
  });
});

describe('consistent hash', () => {
  test('keeps a key on one instance, and moves only the keys of an instance that leaves', () => {
    const set = setOf(instance('a'), instance('b'), instance('c'), instance('d'));
    const balancer = createBalancer({ strategy: 'consistent-hash' }, set);
    const keys = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const owner = new Map(keys.map((k) => [k, balancer.pick(k).instance.id]));
    for (const key of keys) assert.equal(balancer.pick(key).instance.id, owner.get(key));
    const spread = tally([...owner.values()]);
    for (const id of ['a', 'b', 'c', 'd']) assert.ok((spread[id] ?? 0) > 40, JSON.stringify(spread));

    set.remove('c');
    for (const key of keys) {
      const now = balancer.pick(key).instance.id;
      if (owner.get(key) !== 'c') assert.equal(now, owner.get(key), `${key} moved although its owner stayed`);
      else assert.notEqual(now, 'c');
    }
  });

  test('skips an ejected owner, and falls back to P2C without a key', () => {
    const balancer = createBalancer(
      { strategy: 'consistent-hash', ejection: { consecutiveFailures: 1 } },
      setOf(instance('a'), instance('b')),
    );
    const first = balancer.pick('k');
    first.done({ ok: false });
    const next = balancer.pick('k');
    assert.notEqual(next.instance.id, first.instance.id);
    assert.ok(['a', 'b'].includes(balancer.pick().instance.id));
  });
});

describe('eligibility', () => {
  test('never picks not-serving, zero-weight or port-less instances; NoInstanceError when none is left', () => {
    const set = setOf(
      instance('down', { health: 'not-serving' }),
      instance('drained', { weight: 0 }),
      instance('http-only', { ports: { http: 1 } }),
      instance('ok'),
    );
    const balancer = createBalancer({ port: 'grpc' }, set);
    for (let i = 0; i < 50; i++) assert.equal(balancer.pick().instance.id, 'ok');
    assert.equal(balancer.pick().target, '10.0.0.1:9090');
    set.remove('ok');
    assert.throws(
      () => balancer.pick(),
      (error: unknown) =>
        error instanceof NoInstanceError &&
        error instanceof UnavailableError &&
        error.code === 'unavailable' &&
        error.reason === 'none-eligible' &&
        error.service === 'svc',
    );
    const empty = createBalancer({}, new LiveInstanceSet('nothing'));
    assert.throws(
      () => empty.pick(),
      (error: unknown) => error instanceof NoInstanceError && error.reason === 'none-registered',
    );
  });

  test('follows the set: added instances are picked, removed ones are not', () => {
    const set = setOf(instance('a'));
    const balancer = createBalancer({ strategy: 'round-robin' }, set);
    set.put(instance('b'));
    assert.deepEqual(new Set([balancer.pick().instance.id, balancer.pick().instance.id]), new Set(['a', 'b']));
    set.remove('a');
    assert.equal(balancer.pick().instance.id, 'b');
    balancer.close();
    set.put(instance('c'));
    assert.equal(balancer.pick().instance.id, 'b', 'a closed balancer no longer follows the set');
  });
});

describe('outlier ejection', () => {
  test('ejects after consecutive failures, re-admits after a backoff that doubles, resets on success', (t) => {
    const clock = simulatedClock(t);
    const baseEjectionMs = 150;
    const maxEjectionMs = 10_000;
    const balancer = createBalancer(
      { strategy: 'round-robin', ejection: { consecutiveFailures: 3, baseEjectionMs, maxEjectionMs } },
      setOf(instance('good'), instance('bad')),
    );
    const badStats = () => balancer.stats().find((s) => s.id === 'bad')!;
    /** Sends requests until one reaches `bad`, which answers `ok`; `good` always succeeds. */
    const untilBad = (ok: boolean): void => {
      for (;;) {
        const pick = balancer.pick();
        const isBad = pick.instance.id === 'bad';
        pick.done({ ok: isBad ? ok : true, latencyMs: 1 });
        if (isBad) return;
      }
    };
    /** How long the current ejection lasts: the clock stepped 1 ms at a time until it ends (at most maxEjectionMs). */
    const ejectionLasts = (): number => {
      let lasted = 0;
      while (badStats().ejected && lasted < maxEjectionMs) {
        clock.advance(1);
        lasted += 1;
      }
      return lasted;
    };

    untilBad(false);
    untilBad(false);
    assert.equal(badStats().ejected, false, 'two failures in a row are not enough');
    untilBad(false);
    assert.equal(badStats().ejected, true);
    for (let i = 0; i < 20; i++) {
      const pick = balancer.pick();
      assert.equal(pick.instance.id, 'good', 'an ejected instance gets no traffic');
      pick.done({ ok: true, latencyMs: 1 });
    }
    assert.equal(ejectionLasts(), baseEjectionMs, 'the first ejection');

    // Re-admitted on probation: a single failure ejects it again, for twice as long.
    untilBad(false);
    assert.equal(badStats().ejected, true);
    assert.equal(badStats().ejections, 2);
    assert.equal(ejectionLasts(), 2 * baseEjectionMs, 'the second ejection, twice as long');

    // A success after re-admission ends probation and resets the backoff.
    untilBad(true);
    assert.equal(badStats().ejections, 0);
    untilBad(false);
    untilBad(false);
    assert.equal(badStats().ejected, false, 'off probation it takes consecutive failures again');
  });

  test('when every instance is ejected, it still picks rather than failing (panic mode)', () => {
    const balancer = createBalancer({ ejection: { consecutiveFailures: 1, baseEjectionMs: 60_000 } }, setOf(instance('a'), instance('b')));
    for (let i = 0; i < 10; i++) balancer.pick().done({ ok: false });
    assert.ok(balancer.stats().every((s) => s.ejected));
    assert.ok(['a', 'b'].includes(balancer.pick().instance.id));
  });

  test('ejection: false never ejects', () => {
    const balancer = createBalancer({ ejection: false }, setOf(instance('a'), instance('b')));
    for (let i = 0; i < 50; i++) balancer.pick().done({ ok: false });
    assert.ok(balancer.stats().every((s) => !s.ejected));
  });
});

describe('locality', () => {
  const here = { region: 'eu', zone: 'eu-1' };

  test('prefers the zone, then the region, then anywhere', () => {
    const set = setOf(
      instance('zone-a', { region: 'eu', zone: 'eu-1' }),
      instance('region-b', { region: 'eu', zone: 'eu-2' }),
      instance('remote-c', { region: 'us', zone: 'us-1' }),
    );
    const balancer = createBalancer({ locality: here }, set);
    for (let i = 0; i < 30; i++) assert.equal(balancer.pick().instance.id, 'zone-a');
    set.remove('zone-a');
    for (let i = 0; i < 30; i++) assert.equal(balancer.pick().instance.id, 'region-b');
    set.remove('region-b');
    for (let i = 0; i < 30; i++) assert.equal(balancer.pick().instance.id, 'remote-c');
    set.put(instance('zone-a', { region: 'eu', zone: 'eu-1' }));
    assert.equal(balancer.pick().instance.id, 'zone-a');
  });

  test('fails over to another region when the local instances fail, and fails back when they recover', (t) => {
    const clock = simulatedClock(t);
    const set = setOf(
      instance('eu-1', { region: 'eu', zone: 'eu-1' }),
      instance('eu-2', { region: 'eu', zone: 'eu-1' }),
      instance('us-1', { region: 'us', zone: 'us-1' }),
    );
    const balancer = createBalancer({ locality: here, ejection: { consecutiveFailures: 3, baseEjectionMs: 300 } }, set);
    let localHealthy = true;
    const served: Array<{ id: string; ok: boolean }> = [];
    /** "Traffic": one request every 2 ms of the simulated clock; local instances fail while localHealthy is false. */
    const send = (requests: number): void => {
      for (let i = 0; i < requests; i++) {
        const pick = balancer.pick();
        const ok = pick.instance.region !== 'eu' || localHealthy;
        pick.done({ ok, latencyMs: 1 });
        served.push({ id: pick.instance.id, ok });
        clock.advance(2);
      }
    };
    /** Sends requests until `reached` finds its run in `served`, and returns where that run began. */
    const sendUntil = (reached: () => number | undefined, what: string): number => {
      for (let sent = 0; sent < 1500; sent++) {
        const at = reached();
        if (at !== undefined) return at;
        send(1);
      }
      assert.fail(`no ${what} within 1500 requests`);
    };

    send(200);
    localHealthy = false;
    const failedFrom = served.length;
    const failedOverAt = sendUntil(() => lastRun(served, 20, failedFrom, (id) => id === 'us-1'), 'traffic on the remote region');
    send(100); // the local instances keep failing meanwhile
    localHealthy = true;
    const recoveredFrom = served.length;
    const failedBackAt = sendUntil(
      () => lastRun(served, 20, recoveredFrom, (id) => id.startsWith('eu')),
      'traffic back on the local region',
    );
    const failures = served.filter((s) => !s.ok).length;
    t.diagnostic(
      `failover ${failedOverAt - failedFrom} requests after the local instances started failing (${failures} failed requests); failback ${failedBackAt - recoveredFrom} requests after they recovered`,
    );
    assert.ok(failures <= 3 * 2 * 3, `failed requests: ${failures}`); // a few per ejection round, never a stream
  });
});

/** Where the last `n` requests began, if none came before `since` and every one went to an instance `where` accepts. */
function lastRun(served: Array<{ id: string }>, n: number, since: number, where: (id: string) => boolean): number | undefined {
  const from = served.length - n;
  return from >= since && served.slice(from).every((s) => where(s.id)) ? from : undefined;
}
