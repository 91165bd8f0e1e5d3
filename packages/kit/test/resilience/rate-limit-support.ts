// Shared helpers of the rate-limit suites that need Redis.
import { randomUUID } from 'node:crypto';
import { redisServerBin } from '../../../../scripts/test-services/index.ts';

function missing(what: string): { skip: string } {
  if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1')
    throw new Error(`${what} is not available but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the test servers (scripts/test-services)`);
  return { skip: `${what} not available (run under scripts/test-services)` };
}

/** The shared Redis of the test harness (FLOTILLA_TEST_REDIS_URL). */
export function sharedRedis(): { url: string } | { skip: string } {
  const url = process.env.FLOTILLA_TEST_REDIS_URL;
  return url !== undefined && url !== '' ? { url } : missing('FLOTILLA_TEST_REDIS_URL');
}

/** A redis-server binary for a private Redis that a test may stop. */
export function redisBinary(): { bin: string } | { skip: string } {
  const bin = process.env.FLOTILLA_TEST_REDIS_BIN ?? redisServerBin();
  return bin !== undefined && bin !== '' ? { bin } : missing('redis-server (FLOTILLA_TEST_REDIS_BIN)');
}

/** A key prefix no other test run uses, so suites can share one Redis. */
export function uniquePrefix(): string {
  return `flotilla:test:${randomUUID()}:`;
}
