import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type * as grpc from '@grpc/grpc-js';
import { UserServiceClient, UserServiceService, type ListUsersRequest, type ListUsersResponse, type User } from '@flotilla/contracts/users';
import { captureLogs } from '@flotilla/testing';
import { currentContext } from '@flotilla/core';
import { NotFoundError, ValidationError } from '@flotilla/core';
import { ChannelPool, createGrpcClient, createGrpcServer, serverStreaming, type GrpcServer } from '../../src/index.ts';

const created = new Date('2024-05-01T12:00:00.000Z');

function user(n: number): User {
  return {
    id: `u${n}`,
    name: `User ${n}`,
    email: `u${n}@example.test`,
    createTime: created,
    updateTime: created,
    version: n,
  };
}

describe('server streaming', () => {
  let server: GrpcServer;
  let target: string;
  const pool = new ChannelPool();
  let endlessStopped: () => void = () => {};
  const endlessFinished = new Promise<void>((resolve) => (endlessStopped = resolve));
  const seenRequestIds: string[] = [];

  before(async () => {
    const logger = pino({ level: 'debug' }, captureLogs().stream);
    server = createGrpcServer({
      logger,
      services: [
        {
          definition: UserServiceService,
          implementation: {
            // max_users picks the behaviour: N > 0 streams N users; -1 fails after one;
            // 0 streams until the client goes away; -2 uses the raw call's 'error' event.
            listUsers: (call: grpc.ServerWritableStream<ListUsersRequest, ListUsersResponse>) => {
              if (call.request.maxUsers === -2) {
                call.write({ user: user(1) });
                call.emit('error', new NotFoundError('The directory is gone'));
                return;
              }
              return serverStreaming<ListUsersRequest, ListUsersResponse>(async function* (request) {
                seenRequestIds.push(currentContext()?.requestId ?? 'none');
                if (request.maxUsers === -1) {
                  yield { user: user(1) };
                  throw new ValidationError([{ field: 'max_users', rule: 'minimum', message: 'must not be negative' }]);
                }
                if (request.maxUsers === 0) {
                  try {
                    for (let n = 1; ; n++) {
                      yield { user: user(n) };
                      await sleep(5);
                    }
                  } finally {
                    endlessStopped();
                  }
                }
                for (let n = 1; n <= request.maxUsers; n++) yield { user: user(n) };
              })(call);
            },
          },
        },
      ],
    });
    target = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  });
  after(async () => {
    pool.closeAll();
    await server.shutdown(1000);
  });

  test('the promise client iterates every message, with timestamps as Dates', async () => {
    const users = createGrpcClient(UserServiceClient, 'users', { pool, resolve: () => target });
    const received: User[] = [];
    for await (const response of users.listUsers({ maxUsers: 3 })) {
      if (response.user !== undefined) received.push(response.user);
    }
    assert.deepEqual(received, [user(1), user(2), user(3)]);
    assert.ok(received[0]?.createTime instanceof Date);
    assert.match(seenRequestIds.at(-1) ?? '', /^[0-9a-f-]{36}$/, 'the streaming handler runs in a request context');
  });

  test('an error after some messages arrives as the mapped FlotillaError', async () => {
    const users = createGrpcClient(UserServiceClient, 'users', { pool, resolve: () => target });
    const received: string[] = [];
    const failure = await (async () => {
      for await (const response of users.listUsers({ maxUsers: -1 })) received.push(response.user?.id ?? '');
    })().catch((error: unknown) => error);
    assert.deepEqual(received, ['u1']);
    assert.ok(failure instanceof ValidationError);
    assert.deepEqual(failure.violations, [{ field: 'max_users', rule: 'minimum', message: 'must not be negative' }]);
  });

  test("a raw handler's 'error' event is mapped as well", async () => {
    const users = createGrpcClient(UserServiceClient, 'users', { pool, resolve: () => target });
    const failure = await (async () => {
      for await (const _ of users.listUsers({ maxUsers: -2 })) {
        // drain
      }
    })().catch((error: unknown) => error);
    assert.ok(failure instanceof NotFoundError);
    assert.equal(failure.message, 'The directory is gone');
  });

  test('a consumer that stops early cancels the call and the server generator stops', { timeout: 10_000 }, async () => {
    const users = createGrpcClient(UserServiceClient, 'users', { pool, resolve: () => target });
    let count = 0;
    for await (const _ of users.listUsers({ maxUsers: 0 })) {
      if (++count === 3) break;
    }
    assert.equal(count, 3);
    await endlessFinished; // the generator's finally ran: the test would time out otherwise
  });
});
