// The controller runtime: work queue, controller, leader election, writes (apply, status,
// finalizers), events, metrics and health. The client, informers and caches it builds on
// live in @flotilla/kube and are re-exported here, so the operator's API is unchanged.
export * from '@flotilla/kube';
export * from './conditions.ts';
export * from './controller.ts';
export * from './events.ts';
export * from './finalizers.ts';
export * from './health-server.ts';
export * from './leader-election.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './owners.ts';
export * from './predicates.ts';
export * from './rate-limiter.ts';
export * from './workqueue.ts';
