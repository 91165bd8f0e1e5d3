/**
 * The ECS `@timestamp` of a line, as pino's `timestamp` option writes it
 * (`,"@timestamp":"2026-01-02T03:04:05.678Z"`). Lines of one millisecond
 * share one string: under load most lines find it made already.
 */
let madeAt = Number.NaN;
let made = '';

export function ecsTimestamp(): string {
  const now = Date.now();
  if (now !== madeAt) {
    madeAt = now;
    made = `,"@timestamp":"${new Date(now).toISOString()}"`;
  }
  return made;
}
