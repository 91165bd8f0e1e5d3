import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineExceededError, FlotillaError } from '@flotilla/kit';
import { Deadline, DeadlinePolicy, FaultPolicy, faultFromHeaders, faultInjectionAllowed, parseFaultHeader, wrap } from '@flotilla/kit/resilience';
import { sequence } from './support.js';

const answer = async (): Promise<string> => 'answer';

function isBadFaultHeader(fragment: RegExp) {
  return (error: unknown): boolean => error instanceof FlotillaError && error.code === 'bad-request' && error.message.includes('x-flotilla-fault') && fragment.test(error.message);
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
    assert.deepEqual(pick(faultInjectionAllowed('prod', { allowInProd: true, headerEnabled: true })), { rules: true, header: true });
  });

  test('faultFromHeaders honours the header only where allowed', () => {
    assert.deepEqual(faultFromHeaders({ 'x-flotilla-fault': 'abort=503' }, { header: true }), { abort: { status: 503 } });
    assert.equal(faultFromHeaders({ 'x-flotilla-fault': 'abort=503' }, { header: false }), undefined);
    assert.equal(faultFromHeaders({}, { header: true }), undefined);
    assert.throws(() => faultFromHeaders(new Headers({ 'x-flotilla-fault': 'nonsense' }), { header: true }), isBadFaultHeader(/not key=value/));
  });
});

function pick(permission: { rules: boolean; header: boolean }): { rules: boolean; header: boolean } {
  return { rules: permission.rules, header: permission.header };
}

describe('FaultPolicy', () => {
  test('aborts the configured share of calls with the error the status stands for', async () => {
    // Draws ×100: 10 < 25 aborts, 30 and 90 do not.
    const policy = new FaultPolicy({ upstream: 'users', rules: { abort: { status: 503, percent: 25 } }, random: sequence(0.1, 0.3, 0.9) });
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
    await assert.rejects(policy.execute(answer), (error: unknown) => error instanceof FlotillaError && error.code === 'deadline-exceeded' && error.details?.['grpcCode'] === 4);
  });

  test('a fault carried by the call (the header) applies once, even with no rules', async () => {
    const policy = new FaultPolicy({ upstream: 'users' });
    await assert.rejects(policy.execute(answer, { fault: { abort: { status: 502 } } }), (error: unknown) => error instanceof FlotillaError && error.code === 'bad-gateway');
    assert.equal(await policy.execute(answer), 'answer');
  });

  test('nothing is injected where it is not allowed', async () => {
    const policy = new FaultPolicy({ upstream: 'users', rules: { abort: { status: 503, percent: 100 } }, rulesAllowed: false, onDemandAllowed: false });
    assert.equal(await policy.execute(answer, { fault: { abort: { status: 503 } } }), 'answer');
    assert.equal(policy.active, false);
  });

  test('a delay delays, and stops at the deadline', async () => {
    const policy = new FaultPolicy({ upstream: 'users' });
    let started = 0;
    const stamp = async (): Promise<number> => (started = Date.now());
    const before = Date.now();
    await policy.execute(stamp, { fault: { delayMs: 30 } });
    assert.ok(started - before >= 25, `started after ${started - before} ms`);
    let reached = false;
    await assert.rejects(
      wrap(new DeadlinePolicy({ timeoutMs: 20 }), policy).execute(async () => (reached = true), { fault: { delayMs: 60_000 } }),
      DeadlineExceededError,
    );
    assert.equal(reached, false, 'the call behind the delay never ran');
    await assert.rejects(policy.execute(answer, { fault: { delayMs: 60_000 }, deadline: Deadline.after(20) }), DeadlineExceededError);
  });
});
