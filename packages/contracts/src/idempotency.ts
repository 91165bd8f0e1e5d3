// Which methods are safe to retry, as declared in proto/ with
// `option idempotency_level = NO_SIDE_EFFECTS | IDEMPOTENT;`.
import { methodIdempotency } from './gen/method-idempotency.ts';

export { methodIdempotency, type IdempotencyLevel } from './gen/method-idempotency.ts';

/** True when the method at `path` ("/pkg.Service/Method") may be retried. */
export function isIdempotentMethod(path: string): boolean {
  return Object.hasOwn(methodIdempotency, path);
}
