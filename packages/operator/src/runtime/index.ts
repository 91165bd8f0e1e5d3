// The controller runtime: client, informers, work queue, controller, leader election,
// writes (apply, status, finalizers), events, metrics and health.
export * from './backoff.ts';
export * from './cache.ts';
export * from './client.ts';
export * from './conditions.ts';
export * from './connection.ts';
export * from './controller.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './finalizers.ts';
export * from './health-server.ts';
export * from './informer.ts';
export * from './leader-election.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './objects.ts';
export * from './owners.ts';
export * from './predicates.ts';
export * from './rate-limiter.ts';
export * from './reflector.ts';
export * from './resources.ts';
export * from './workqueue.ts';
