// @flotilla/core: the small pieces every Flotilla package stands on.
export * from './backoff.ts';
export * from './clock.ts';
export * from './sleep.ts';
export * from './token-bucket.ts';
