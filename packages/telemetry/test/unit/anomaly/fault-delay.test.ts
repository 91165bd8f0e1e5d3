/**
 * An injected fault delay reaches the attempt it held back
 * (`ExecutionContext.faultDelayMs`), so the caller can count it as the
 * upstream's latency in that upstream's anomaly detector (the gateway does,
 * see packages/gateway/test/integration/anomaly-e2e.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultPolicy } from '@flotilla/resilience';

test('FaultPolicy tells the attempt how long it was delayed; 0 when it was not', async () => {
  const policy = new FaultPolicy({ upstream: 'billing' });
  const delayed = await policy.execute(async (context) => context.faultDelayMs, { fault: { delayMs: 40 } });
  // Measured around the timer (which may fire a fraction of a millisecond early), not copied from the spec.
  assert.ok(delayed >= 35, `delayed ${delayed} ms`);
  assert.equal(await policy.execute(async (context) => context.faultDelayMs), 0);
  assert.equal(await policy.execute(async (context) => context.faultDelayMs, { fault: { delayMs: 0 } }), 0);
});
