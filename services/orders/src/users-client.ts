/**
 * The users service as the orders domain sees it: "does this user exist?",
 * asked over gRPC with a deadline, on an instance found through discovery
 * (picked per call: P2C, same zone first, failing instances ejected) unless
 * config names a fixed `grpcAddress`. Failures become the errors the domain
 * promises (see UserDirectory): unknown user → 422, users down or too slow →
 * 503, the caller's own deadline gone → DEADLINE_EXCEEDED / 504.
 */
import { currentContext, DeadlineExceededError, FlotillaError, NotFoundError, UnprocessableError, ValidationError } from '@flotilla/kit';
import { ChannelPool, createGuardedGrpcClient, type GrpcClient, type GrpcTargetPicker } from '@flotilla/grpc';
import type { Policy } from '@flotilla/resilience';
import { UserServiceClient } from '@flotilla/contracts/users';
import type { Logger } from '@flotilla/kit';
import type { UserDirectory } from './domain.ts';

export interface UsersClientSettings {
  /** Fixed `host:port`; when unset, `discover` finds the instances. */
  grpcAddress?: string;
  timeoutMs: number;
}

/** Finds instances of a service per call (the service's `context.discovery.grpc`). */
export type UsersDiscovery = (serviceName: string) => GrpcTargetPicker;

export class GrpcUserDirectory implements UserDirectory {
  private readonly settings: UsersClientSettings;
  /**
   * A pool of its own rather than the kit's default one: the channel lives
   * exactly as long as this service (closed by `close()`), whatever other
   * services in the same process do with theirs.
   */
  private readonly pool = new ChannelPool({ channelOptions: { 'grpc.max_reconnect_backoff_ms': 5_000 } });
  private readonly client: GrpcClient<UserServiceClient>;

  /** `guard`: the `users` upstream's policies (breaker, retries with budget, bulkhead, faults); GetUser is a read, so it may be retried. */
  constructor(settings: UsersClientSettings, discover: UsersDiscovery, guard: Policy, logger?: Logger) {
    this.settings = settings;
    const fixed = settings.grpcAddress;
    this.client = createGuardedGrpcClient(UserServiceClient, 'users', {
      guard,
      idempotent: ['getUser', 'batchGetUsers'],
      resolve: fixed === undefined ? discover : () => fixed,
      pool: this.pool,
      ...(logger === undefined ? {} : { logger }),
    });
  }

  async assertExists(userId: string): Promise<void> {
    const ownDeadline = Date.now() + this.settings.timeoutMs;
    const callerDeadline = currentContext()?.deadline;
    try {
      await this.client.getUser({ id: userId }, { deadline: ownDeadline });
    } catch (error) {
      throw this.translate(error, userId, callerDeadline !== undefined && callerDeadline <= ownDeadline);
    }
  }

  close(): void {
    this.pool.closeAll();
  }

  private translate(error: unknown, userId: string, callerDeadlineFirst: boolean): FlotillaError {
    // Users refusing the id as malformed means the same to our client as "no such user".
    if (error instanceof NotFoundError || error instanceof ValidationError) {
      return new UnprocessableError(`User ${userId} does not exist`, { reason: 'unknown-user', userId });
    }
    if (error instanceof DeadlineExceededError) {
      // The caller's deadline bounded the call: that is theirs to hear about.
      if (callerDeadlineFirst) return new DeadlineExceededError('The deadline passed while checking the user', { cause: error });
      return dependencyUnavailable(
        `The users service did not answer within ${this.settings.timeoutMs} ms; try again later`,
        'users-timeout',
        error,
      );
    }
    return dependencyUnavailable('The users service is unavailable; try again later', 'users-unavailable', error);
  }
}

function dependencyUnavailable(message: string, reason: string, cause: unknown): FlotillaError {
  return new FlotillaError('unavailable', message, { cause, details: { reason, dependency: 'users' } });
}
