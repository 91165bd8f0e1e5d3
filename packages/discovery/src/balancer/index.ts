export { createBalancer } from './balancer.ts';
export { NoInstanceError } from './no-instance-error.ts';
export { closestTier, tierOf, type Locality, type Tier } from './locality.ts';
export type {
  Balancer,
  BalancerOptions,
  BalancerStrategy,
  EjectionOptions,
  InstanceStats,
  PickedInstance,
  PickOutcome,
} from './types.ts';
