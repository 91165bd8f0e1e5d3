export { createBalancer } from './balancer.js';
export { NoInstanceError } from './no-instance-error.js';
export { closestTier, tierOf, type Locality, type Tier } from './locality.js';
export type { Balancer, BalancerOptions, BalancerStrategy, EjectionOptions, InstanceStats, PickedInstance, PickOutcome } from './types.js';
