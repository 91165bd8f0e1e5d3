/**
 * A gRPC client whose unary calls run through a resilience policy — usually
 * an upstream's guard (`guards.get('users')`): deadline, bulkhead, breaker,
 * budgeted retries, faults. Only the methods named idempotent are retried;
 * each retry picks its instance afresh (with a discovery picker, usually
 * another one). Server-streaming methods pass through unguarded: a stream
 * half consumed cannot be replayed.
 *
 *   const users = createGuardedGrpcClient(UserServiceClient, 'users', {
 *     resolve, guard: guards.get('users'), idempotent: ['getUser', 'listUsers'],
 *   });
 *   await users.getUser({ id });   // FlotillaError('circuit-open') when the breaker rejects
 */
import type { Client, ServiceDefinition } from '@grpc/grpc-js';
import { currentDeadline } from '@flotilla/core';
import { Deadline } from '@flotilla/core';
import type { Policy } from '@flotilla/resilience';
import {
  createGrpcClient,
  type GeneratedClientConstructor,
  type GrpcCallOptions,
  type GrpcClient,
  type GrpcClientOptions,
  type PromiseClient,
  type UnaryMethod,
} from './client.ts';

export type GrpcMethodName<C> = Extract<keyof PromiseClient<C>, string>;

export interface GuardOptions<C> {
  /** The policy every unary call runs through. */
  guard: Policy;
  /** Unary methods safe to repeat (reads, or writes the server deduplicates), as names or a predicate. */
  idempotent?: readonly GrpcMethodName<C>[] | ((method: string) => boolean);
}

/** Wraps the unary methods of `client` (made for `service`) in `guard`. */
export function guardGrpcClient<C>(client: GrpcClient<C>, service: ServiceDefinition, options: GuardOptions<C>): GrpcClient<C> {
  const idempotent = options.idempotent;
  const isIdempotent =
    typeof idempotent === 'function'
      ? idempotent
      : (name: string) => (idempotent as readonly string[] | undefined)?.includes(name) ?? false;
  const guarded: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  Object.defineProperty(guarded, 'raw', { enumerable: true, get: () => client.raw });
  guarded.target = client.target;
  const methods = client as unknown as Record<string, unknown>;
  for (const [name, definition] of Object.entries(service)) {
    const method = methods[name];
    if (typeof method !== 'function') continue;
    guarded[name] =
      definition.requestStream || definition.responseStream
        ? method
        : guardUnary(method as UnaryMethod<unknown, unknown>, options.guard, isIdempotent(name));
  }
  return guarded as GrpcClient<C>;
}

/** createGrpcClient, with its unary calls guarded. */
export function createGuardedGrpcClient<C extends Client>(
  ClientConstructor: GeneratedClientConstructor<C>,
  serviceName: string,
  options: GrpcClientOptions & GuardOptions<C>,
): GrpcClient<C> {
  const { guard, idempotent, ...clientOptions } = options;
  const client = createGrpcClient(ClientConstructor, serviceName, clientOptions);
  return guardGrpcClient(client, ClientConstructor.service, idempotent === undefined ? { guard } : { guard, idempotent });
}

function guardUnary(method: UnaryMethod<unknown, unknown>, guard: Policy, idempotent: boolean): UnaryMethod<unknown, unknown> {
  return (request, options: GrpcCallOptions = {}) => {
    const { deadline: ownDeadline, timeoutMs, signal, ...rest } = options;
    const own =
      ownDeadline !== undefined
        ? Deadline.at(ownDeadline instanceof Date ? ownDeadline.getTime() : ownDeadline)
        : timeoutMs !== undefined
          ? Deadline.after(timeoutMs)
          : undefined;
    const deadline = (currentDeadline() ?? Deadline.NONE).earliest(own);
    return guard.execute(
      (attempt) =>
        method(request, {
          ...rest,
          signal: attempt.signal,
          ...(attempt.deadline.bounded ? { deadline: attempt.deadline.at } : {}),
        }),
      { idempotent, deadline, ...(signal === undefined ? {} : { signal }) },
    );
  };
}
