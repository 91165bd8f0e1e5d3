// A tiny greeter built on the generated contracts whose behaviour the name
// picks, and a server of it on 127.0.0.1 port 0 with its log lines captured.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { GreeterServiceClient, GreeterServiceService, type GreeterServiceServer } from '@flotilla/contracts/greeter';
import { captureLogs, type LogLine } from '../log-capture.ts';
import { currentContext } from '@flotilla/core';
import { ConflictError, FlotillaError, NotFoundError, UnprocessableError, ValidationError } from '@flotilla/core';
import { ChannelPool, createGrpcClient, createGrpcServer, unary, type GrpcServer, type GrpcServerOptions } from '@flotilla/grpc';

export interface GreeterProbe {
  /** Names the greeter has been asked to greet, in order. */
  calls: string[];
  /** What `relay:` handlers observed, for deadline and request-id assertions. */
  observations: Record<string, unknown>[];
  /** Resolved when a `slow:` call starts, so tests can act while it is in flight. */
  slowStarted: PromiseWithResolversLike;
}

interface PromiseWithResolversLike {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): PromiseWithResolversLike {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The test greeter. Its behaviour is picked by the name:
 *  ""            ValidationError with one field violation
 *  "missing"     NotFoundError          "taken"   ConflictError
 *  "stale"       ConflictError with reason version-conflict
 *  "unprocessable" UnprocessableError   "throttled" rate-limited
 *  "boom"        a plain Error carrying a secret (must not leak)
 *  "slow:MS"     answers after MS ms    "context" reports its RequestContext
 *  "relay:NAME"  calls `relayTo` with NAME and returns its answer
 *  anything else "Hello, NAME!"
 */
export function testGreeter(probe: GreeterProbe, relayTo?: () => string): GreeterServiceServer {
  return {
    sayHello: unary(async (request) => {
      const name = request.name;
      probe.calls.push(name);
      const context = currentContext();
      if (name === '') throw new ValidationError([{ field: 'name', rule: 'minLength', message: 'must not be empty' }]);
      if (name === 'missing') throw new NotFoundError('No such person: missing');
      if (name === 'taken') throw new ConflictError('That name is taken');
      if (name === 'stale') throw new ConflictError('Version 3 is not current', { reason: 'version-conflict', current: 4 });
      if (name === 'unprocessable') throw new UnprocessableError('Too many greetings', { limit: '3' });
      if (name === 'throttled') throw new FlotillaError('rate-limited', 'Slow down');
      if (name === 'boom') throw new Error('database password is hunter2');
      if (name.startsWith('slow:')) {
        probe.slowStarted.resolve();
        // Stops early when the call is cancelled (the request context's signal).
        await sleep(Number(name.slice(5)), undefined, context?.signal === undefined ? {} : { signal: context.signal });
        return { message: 'Finally, hello!' };
      }
      if (name === 'context') {
        return {
          message: JSON.stringify({
            requestId: context?.requestId,
            deadline: context?.deadline ?? null,
            now: Date.now(),
          }),
        };
      }
      if (name.startsWith('relay:') && relayTo !== undefined) {
        const inner = name.slice(6);
        const observation: Record<string, unknown> = { requestId: context?.requestId, deadline: context?.deadline };
        probe.observations.push(observation);
        if (inner === 'after-deadline') {
          // Wait until our own deadline has passed (the signal says so), then try to call on.
          await new Promise<void>((resolve) => context?.signal?.addEventListener('abort', () => resolve(), { once: true }));
          observation.abortReason = (context?.signal?.reason as Error | undefined)?.name;
        }
        const pool = new ChannelPool();
        try {
          const next = createGrpcClient(GreeterServiceClient, 'next', { resolve: relayTo, pool });
          observation.remainingAtCall = context?.deadline === undefined ? null : context.deadline - Date.now();
          // Asks for a whole minute: the caller's deadline must win.
          const reply = await next.sayHello({ name: inner }, { timeoutMs: 60_000 });
          observation.reply = reply.message;
          return { message: reply.message };
        } catch (error) {
          observation.error = (error as Error).name;
          throw error;
        } finally {
          pool.closeAll();
        }
      }
      return { message: `Hello, ${name}!` };
    }),
  };
}

export function newProbe(): GreeterProbe {
  return { calls: [], observations: [], slowStarted: deferred() };
}

export interface RunningGreeter {
  grpc: GrpcServer;
  port: number;
  target: string;
  probe: GreeterProbe;
  lines: LogLine[];
}

export async function startGreeter(options: Partial<GrpcServerOptions> & { relayTo?: () => string } = {}): Promise<RunningGreeter> {
  const logs = captureLogs();
  const logger = pino({ level: 'debug' }, logs.stream);
  const probe = newProbe();
  const grpc = createGrpcServer({
    logger,
    services: [{ definition: GreeterServiceService, implementation: testGreeter(probe, options.relayTo) }],
    ...options,
  });
  const port = await grpc.listen('127.0.0.1', 0);
  return { grpc, port, target: `127.0.0.1:${port}`, probe, lines: logs.lines };
}
