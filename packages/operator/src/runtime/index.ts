// The controller runtime: client, informers, work queue, controller, leader election,
// writes (apply, status, finalizers), events, metrics and health.
export * from './backoff.js';
export * from './cache.js';
export * from './client.js';
export * from './conditions.js';
export * from './connection.js';
export * from './controller.js';
export * from './errors.js';
export * from './events.js';
export * from './finalizers.js';
export * from './health-server.js';
export * from './informer.js';
export * from './leader-election.js';
export * from './logger.js';
export * from './metrics.js';
export * from './objects.js';
export * from './owners.js';
export * from './predicates.js';
export * from './rate-limiter.js';
export * from './reflector.js';
export * from './resources.js';
export * from './workqueue.js';
