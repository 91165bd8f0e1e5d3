// @flotilla/core: the small pieces every Flotilla package stands on.
export * from './backoff.ts';
export * from './clock.ts';
export * from './sleep.ts';
export * from './token-bucket.ts';
export * from './cancellation.ts';
export * from './context.ts';
export * from './deadline.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './text.ts';
