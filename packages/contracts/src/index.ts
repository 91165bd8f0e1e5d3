// One namespace per contract package; prefer the entry points
// (@flotilla/contracts/users, /orders, /greeter, /health, /rpc-status, /descriptor-set).
export * as greeter from './greeter.ts';
export * as users from './users.ts';
export * as orders from './orders.ts';
export * as health from './health.ts';
export * as rpcStatus from './rpc-status.ts';
export { descriptorSet } from './descriptor-set.ts';
export { isIdempotentMethod, methodIdempotency, type IdempotencyLevel } from './idempotency.ts';
