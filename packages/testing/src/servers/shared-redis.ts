import { randomUUID } from 'node:crypto';
import { missingServer } from './required.ts';

/** The harness's shared Redis (FLOTILLA_TEST_REDIS_URL), or a reason to skip. */
export function sharedRedis(): { url: string } | { skip: string } {
  const url = process.env.FLOTILLA_TEST_REDIS_URL;
  return url !== undefined && url !== '' ? { url } : missingServer('FLOTILLA_TEST_REDIS_URL');
}

/** A key prefix no other test run uses, so suites can share one Redis. */
export function uniquePrefix(): string {
  return `flotilla:test:${randomUUID()}:`;
}
