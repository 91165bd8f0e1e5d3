import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineExceededError, FlotillaError } from '@flotilla/kit';
import { ConfigError } from '@flotilla/config';
import {
  Deadline,
  DeadlinePolicy,
  FaultPolicy,
  faultError,
  faultFromHeaders,
  faultInjectionAllowed,
  parseFaultHeader,
  parseResilienceSettings,
  wrap,
} from '@flotilla/resilience';
import { sequence } from '../support.ts';

const answer = async (): Promise<string> => 'answer';

function isBadFaultHeader(fragment: RegExp) {
  return (error: unknown): boolean =>
    error instanceof FlotillaError &&
    error.code === 'bad-request' &&
    error.message.includes('x-flotilla-fault') &&
    fragment.test(error.message);
}

describe('parseFaultHeader', () => {
  test('delays and aborts, alone or together', () => {
    assert.deepEqual(parseFaultHeader('delay=200ms'), { delayMs: 200 });
    assert.deepEqual(parseFaultHeader('delay=150'), { delayMs: 150 });
    assert.deepEqual(parseFaultHeader('delay=1.5s'), { delayMs: 1_500 });
    assert.deepEqual(parseFaultHeader('abort=503'), { abort: { status: 503 } });
    assert.deepEqual(parseFaultHeader('abort=grpc:UNAVAILABLE'), { abort: { grpcCode: 14 } });
    assert.deepEqual(parseFaultHeader('abort=grpc:4'), { abort: { grpcCode: 4 } });
    assert.deepEqual(parseFaultHeader(' delay = 10ms ; abort=500 '), { delayMs: 10, abort: { status: 500 } });
  });

  test('anything else is a bad-request error that says what is wrong', () => {
    assert.throws(() => parseFaultHeader(''), isBadFaultHeader(/is empty/));
    assert.throws(() => parseFaultHeader('slow'), isBadFaultHeader(/not key=value/));
    assert.throws(() => parseFaultHeader('explode=1'), isBadFaultHeader(/unknown fault "explode"/));
    assert.throws(() => parseFaultHeader('delay=soon'), isBadFaultHeader(/delay "soon"/));
    assert.throws(() => parseFaultHeader('delay=2m'), isBadFaultHeader(/delay "2m"/));
    assert.throws(() => parseFaultHeader('delay=61s'), isBadFaultHeader(/more than the 60000 ms/));
    assert.throws(() => parseFaultHeader('abort=200'), isBadFaultHeader(/HTTP status 400-599/));
    assert.throws(() => parseFaultHeader('abort=grpc:0'), isBadFaultHeader(/gRPC code 1-16/));
    assert.throws(() => parseFaultHeader('abort=grpc:BROKEN'), isBadFaultHeader(/gRPC code/));
    assert.throws(() => parseFaultHeader('delay=1,delay=2'), isBadFaultHeader(/delay twice/));
  });
});

describe('faultInjectionAllowed', () => {
  test('dev: config and header; other namespaces: config, header only when enabled; prod: nothing unless allowInProd', () => {
    assert.deepEqual(pick(faultInjectionAllowed('dev')), { rules: true, header: true });
    assert.deepEqual(pick(faultInjectionAllowed('dev', { headerEnabled: false })), { rules: true, header: false });
    assert.deepEqual(pick(faultInjectionAllowed('staging')), { rules: true, header: false });
    assert.deepEqual(pick(faultInjectionAllowed('staging', { headerEnabled: true })), { rules: true, header: true });
    assert.deepEqual(pick(faultInjectionAllowed('prod', { headerEnabled: true })), { rules: false, header: false });
    assert.match(faultInjectionAllowed('prod').reason, /refused in the prod namespace/);
    assert.deepEqual(pick(faultInjectionAllowed('prod', { allowInProd: true, headerEnabled: true })), {
      rules: true,
      header: true,
    });
  });

  test('faultFromHeaders honours the header only where allowed', () => {
    assert.deepEqual(faultFromHeaders({ 'x-flotilla-fault': 'abort=503' }, { header: true }), {
      abort: { status: 503 },
    });
    assert.equal(faultFromHeaders({ 'x-flotilla-fault': 'abort=503' }, { header: false }), undefined);
    assert.equal(faultFromHeaders({}, { header: true }), undefined);
    assert.throws(
      () => faultFromHeaders(new Headers({ 'x-flotilla-fault': 'nonsense' }), { header: true }),
      isBadFaultHeader(/not key=value/),
    );
  });
});

function pick(permission: { rules: boolean; header: boolean }): { rules: boolean; header: boolean } {
  return { rules: permission.rules, header: permission.header };
}

describe('FaultPolicy', () => {
  test('aborts the configured share of calls with the error the status stands for', async () => {
    // Draws ×100: 10 < 25 aborts, 30 and 90 do not.
    const policy = new FaultPolicy({
      upstream: 'users',
      rules: { abort: { status: 503, percent: 25 } },
      random: sequence(0.1, 0.3, 0.9),
    });
    await assert.rejects(policy.execute(answer), (error: unknown) => {
      assert.ok(error instanceof FlotillaError);
      assert.equal(error.code, 'unavailable');
      assert.deepEqual(error.details, { fault: 'abort', status: 503 });
      return true;
    });
    assert.equal(await policy.execute(answer), 'answer');
    assert.equal(await policy.execute(answer), 'answer');
  });

  test('a gRPC code abort maps to its kind and keeps the code', async () => {
    const policy = new FaultPolicy({ upstream: 'users', rules: { abort: { grpcCode: 4, percent: 100 } } });
    await assert.rejects(
      policy.execute(answer),
      (error: unknown) => error instanceof FlotillaError && error.code === 'deadline-exceeded' && error.details?.grpcCode === 4,
    );
  });

  test('rules given directly are checked: a bad abort is a ConfigError and the previous rules stay', async () => {
    const isBadAbort = (fragment: RegExp) => (error: unknown) =>
      error instanceof ConfigError && error.code === 'validation' && fragment.test(error.message);
    assert.throws(
      () => new FaultPolicy({ upstream: 'users', rules: { abort: { status: 302, percent: 100 } } }),
      isBadAbort(/fault\.abort .*HTTP error status 400-599, not 302/),
    );
    assert.throws(
      () => new FaultPolicy({ upstream: 'users', rules: { abort: { percent: 100 } } }),
      isBadAbort(/exactly one of status \(HTTP\) or grpcCode/),
    );
    const policy = new FaultPolicy({ upstream: 'users', rules: { abort: { status: 503, percent: 100 } } });
    assert.throws(() => policy.configure({ rules: { abort: { status: 600, percent: 100 } } }), isBadAbort(/not 600/));
    assert.throws(() => policy.configure({ rules: { abort: { grpcCode: 0, percent: 100 } } }), isBadAbort(/gRPC error code 1-16, not 0/));
    assert.deepEqual(policy.rules, { abort: { status: 503, percent: 100 } });
  });

  test('a fault carried by the call (the header) applies once, even with no rules', async () => {
    const policy = new FaultPolicy({ upstream: 'users' });
    await assert.rejects(
      policy.execute(answer, { fault: { abort: { status: 502 } } }),
      (error: unknown) => error instanceof FlotillaError && error.code === 'bad-gateway',
    );
    assert.equal(await policy.execute(answer), 'answer');
  });

  test('nothing is injected where it is not allowed', async () => {
    const policy = new FaultPolicy({
      upstream: 'users',
      rules: { abort: { status: 503, percent: 100 } },
      rulesAllowed: false,
      onDemandAllowed: false,
    });
    assert.equal(await policy.execute(answer, { fault: { abort: { status: 503 } } }), 'answer');
    assert.equal(policy.active, false);
  });

  test('a delay delays, and stops at the deadline', async (t) => {
    const policy = new FaultPolicy({ upstream: 'users' });
    // The delay on timers that move only when ticked: the call runs once the whole delay has passed, not before.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let started = false;
    const delayed = policy.execute(async () => (started = true), { fault: { delayMs: 30 } });
    t.mock.timers.tick(29);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, false, 'not before the delay has passed');
    t.mock.timers.tick(1);
    await delayed;
    assert.equal(started, true);
    t.mock.timers.reset();
    let reached = false;
    await assert.rejects(
      wrap(new DeadlinePolicy({ timeoutMs: 20 }), policy).execute(async () => (reached = true), {
        fault: { delayMs: 60_000 },
      }),
      DeadlineExceededError,
    );
    assert.equal(reached, false, 'the call behind the delay never ran');
    await assert.rejects(policy.execute(answer, { fault: { delayMs: 60_000 }, deadline: Deadline.after(20) }), DeadlineExceededError);
  });
});

describe('faultError: one abort, read the same way by either transport', () => {
  const read = (error: FlotillaError) => ({ kind: error.code, httpStatus: error.httpStatus, grpcCode: error.grpcCode });

  test('an HTTP status is answered exactly; its kind and gRPC code follow the table', () => {
    const cases: Array<[status: number, kind: string, grpcCode: number]> = [
      [400, 'bad-request', 3],
      [404, 'not-found', 5],
      [409, 'conflict', 6],
      [418, 'bad-request', 3],
      [429, 'rate-limited', 8],
      [499, 'bad-request', 1],
      [500, 'internal', 13],
      [501, 'internal', 12],
      [502, 'bad-gateway', 14],
      [503, 'unavailable', 14],
      [504, 'deadline-exceeded', 4],
      [507, 'internal', 13],
    ];
    for (const [status, kind, grpcCode] of cases) {
      const error = faultError({ status }, 'test');
      assert.deepEqual(read(error), { kind, httpStatus: status, grpcCode }, `abort ${status}`);
      assert.deepEqual(error.details, { fault: 'abort', status });
      assert.match(error.message, new RegExp(`Injected fault: abort with ${status} \\(test\\)`));
    }
  });

  test("a gRPC code is answered exactly; its HTTP status is google.rpc.Code's", () => {
    const cases: Array<[grpcCode: number, kind: string, httpStatus: number]> = [
      [1, 'unavailable', 499],
      [2, 'internal', 500],
      [4, 'deadline-exceeded', 504],
      [8, 'rate-limited', 429],
      [9, 'precondition-failed', 400],
      [10, 'conflict', 409],
      [12, 'method-not-allowed', 501],
      [14, 'unavailable', 503],
      [15, 'internal', 500],
      [16, 'unauthenticated', 401],
    ];
    for (const [grpcCode, kind, httpStatus] of cases) {
      const error = faultError({ grpcCode }, 'test');
      assert.deepEqual(read(error), { kind, httpStatus, grpcCode }, `abort grpc:${grpcCode}`);
      assert.deepEqual(error.details, { fault: 'abort', grpcCode });
    }
  });

  test('an abort that is not one is a validation error, not a made-up answer', () => {
    const invalid = (error: unknown): boolean => error instanceof FlotillaError && error.code === 'validation';
    assert.throws(() => faultError({ status: 200 }, 'test'), invalid);
    assert.throws(() => faultError({ grpcCode: 17 }, 'test'), invalid);
    assert.throws(() => faultError({}, 'test'), invalid);
    assert.throws(() => faultError({ status: 503, grpcCode: 14 }, 'test'), invalid);
  });
});

describe('resilience settings: a fault abort', () => {
  const withAbort = (abort: unknown) => ({ upstreams: { users: { fault: { abort } } } });
  const problemsOf = (abort: unknown): string => {
    try {
      parseResilienceSettings(withAbort(abort));
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.problems.map((p) => `${p.key}: ${p.rule}`).join('\n');
    }
    return '';
  };

  test('an HTTP status outside 400-599 is one clear config problem', () => {
    assert.equal(
      problemsOf({ status: 302, percent: 100 }),
      'upstreams.users.fault.abort.status: must be an HTTP error status 400-599, not 302',
    );
    assert.equal(
      problemsOf({ status: 600, percent: 100 }),
      'upstreams.users.fault.abort.status: must be an HTTP error status 400-599, not 600',
    );
    assert.equal(problemsOf({ grpcCode: 0, percent: 100 }), 'upstreams.users.fault.abort.grpcCode: must be a gRPC error code 1-16, not 0');
    assert.equal(problemsOf({ percent: 100 }), 'upstreams.users.fault.abort: must name exactly one of status (HTTP) or grpcCode (gRPC)');
    assert.equal(
      problemsOf({ status: 503, grpcCode: 14, percent: 100 }),
      'upstreams.users.fault.abort: must name exactly one of status (HTTP) or grpcCode (gRPC)',
    );
  });

  test('any status 400-599 or code 1-16 is accepted as it is', () => {
    assert.equal(problemsOf({ status: 418, percent: 100 }), '');
    assert.equal(problemsOf({ status: 599, percent: 1 }), '');
    assert.equal(problemsOf({ grpcCode: 16, percent: 1 }), '');
    assert.deepEqual(parseResilienceSettings(withAbort({ status: '503', percent: 50 })).upstreams?.users?.fault?.abort, {
      status: 503,
      percent: 50,
    });
  });
});
