import { missingServer } from '@flotilla/testing';
import { redisServerBin } from '../../../../../scripts/test-services/index.ts';

/** A redis-server binary for a private Redis that a test may stop, or a reason to skip. */
export function redisBinary(): { bin: string } | { skip: string } {
  const bin = process.env.FLOTILLA_TEST_REDIS_BIN ?? redisServerBin();
  return bin !== undefined && bin !== '' ? { bin } : missingServer('FLOTILLA_TEST_REDIS_BIN');
}
