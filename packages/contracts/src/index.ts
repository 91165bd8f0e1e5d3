// One namespace per contract package; prefer the entry points
// (@flotilla/contracts/users, /orders, /greeter, /health, /rpc-status, /descriptor-set).
export * as greeter from './greeter.js';
export * as users from './users.js';
export * as orders from './orders.js';
export * as health from './health.js';
export * as rpcStatus from './rpc-status.js';
export { descriptorSet } from './descriptor-set.js';
export { isIdempotentMethod, methodIdempotency, type IdempotencyLevel } from './idempotency.js';
