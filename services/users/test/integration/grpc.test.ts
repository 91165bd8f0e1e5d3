/** UserService over gRPC: generated client, and a client that loads the .proto files at run time. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { NotFoundError, ValidationError } from '@flotilla/kit';
import { createGrpcClient, type GrpcClient } from '@flotilla/grpc';
import { UserServiceClient } from '@flotilla/contracts/users';
import { repoRoot, startUsers, testDialects, type UsersUnderTest } from '@flotilla/testing';

const protoRoot = join(repoRoot, 'proto');

for (const dialect of testDialects()) {
  describe(`users gRPC on ${dialect}`, () => {
    let svc: UsersUnderTest;
    let client: GrpcClient<UserServiceClient>;
    before(async () => {
      svc = await startUsers({ dialect: dialect });
      client = createGrpcClient(UserServiceClient, 'users', { resolve: () => svc.grpcAddress });
    });
    after(() => svc.stop());

    test('CreateUser then GetUser and BatchGetUsers, sharing the REST data', async () => {
      const { user } = await client.createUser({ name: ' Barbara ', email: 'barbara@example.com' });
      assert.ok(user);
      assert.equal(user.name, 'Barbara');
      assert.ok(user.createTime instanceof Date);
      const rest = (await (await fetch(`${svc.base}/users/${user.id}`)).json()) as { email: string; version: number };
      assert.equal(rest.email, 'barbara@example.com');
      const got = await client.getUser({ id: user.id });
      assert.deepEqual(got.user, user);
      const other = (await client.createUser({ name: 'Ken', email: 'ken@example.com' })).user!;
      const batch = await client.batchGetUsers({ ids: [other.id, user.id, '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });
      assert.deepEqual(batch.users.map((u) => u.id).sort(), [user.id, other.id].sort());
    });

    test('errors map to statuses and back to domain errors', async () => {
      await assert.rejects(client.getUser({ id: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69' }), NotFoundError);
      await assert.rejects(
        client.getUser({ id: 'nope' }),
        (error: unknown) => error instanceof ValidationError && error.violations[0]?.field === 'id',
      );
      await assert.rejects(
        client.createUser({ name: '', email: 'bad' }),
        (error: unknown) => error instanceof ValidationError && error.violations.length === 2,
      );
      await client.createUser({ name: 'Dup', email: 'dup@example.com' });
      await assert.rejects(
        client.createUser({ name: 'Dup', email: 'DUP@example.com' }),
        (error: unknown) => (error as { cause?: grpc.ServiceError }).cause?.code === grpc.status.ALREADY_EXISTS,
      );
    });

    test('ListUsers streams every user, honouring max_users', async () => {
      for (let i = 0; i < 5; i++) await client.createUser({ name: `Stream ${i}`, email: `stream${i}@example.com` });
      const all: string[] = [];
      for await (const { user } of client.listUsers({ maxUsers: 0 })) all.push(user!.id);
      assert.ok(all.length >= 5);
      assert.deepEqual(all, [...all].sort());
      const some: string[] = [];
      for await (const { user } of client.listUsers({ maxUsers: 2 })) some.push(user!.id);
      assert.deepEqual(some, all.slice(0, 2));
    });

    test('every RPC works from a client that loads the .proto at run time', async () => {
      const definition = protoLoader.loadSync('flotilla/users/v1/users.proto', { includeDirs: [protoRoot], longs: Number, defaults: true });
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        flotilla: { users: { v1: { UserService: grpc.ServiceClientConstructor } } };
      };
      const dynamic = new loaded.flotilla.users.v1.UserService(svc.grpcAddress, grpc.credentials.createInsecure());
      const call = <T>(method: string, request: object): Promise<T> =>
        new Promise((resolve, reject) =>
          (dynamic[method] as (r: object, cb: (e: Error | null, v: T) => void) => void).call(dynamic, request, (error, value) =>
            error ? reject(error) : resolve(value),
          ),
        );
      try {
        const created = await call<{ user: { id: string; name: string; version: number } }>('CreateUser', {
          name: 'Dyn',
          email: 'dyn@example.com',
        });
        assert.equal(created.user.name, 'Dyn');
        assert.equal(created.user.version, 1);
        const got = await call<{ user: { id: string } }>('GetUser', { id: created.user.id });
        assert.equal(got.user.id, created.user.id);
        const batch = await call<{ users: Array<{ id: string }> }>('BatchGetUsers', { ids: [created.user.id] });
        assert.deepEqual(
          batch.users.map((u) => u.id),
          [created.user.id],
        );
        const streamed = await new Promise<string[]>((resolve, reject) => {
          const ids: string[] = [];
          const stream = (dynamic.ListUsers as (r: object) => grpc.ClientReadableStream<{ user: { id: string } }>).call(dynamic, {
            maxUsers: 0,
          });
          stream.on('data', (m) => ids.push(m.user.id));
          stream.on('end', () => resolve(ids));
          stream.on('error', reject);
        });
        assert.ok(streamed.includes(created.user.id));
      } finally {
        dynamic.close();
      }
    });

    test('health answers SERVING for the service and overall', async () => {
      const definition = protoLoader.loadSync('grpc/health/v1/health.proto', { includeDirs: [protoRoot], enums: String });
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
      };
      const health = new loaded.grpc.health.v1.Health(svc.grpcAddress, grpc.credentials.createInsecure());
      try {
        for (const service of ['', 'flotilla.users.v1.UserService']) {
          const answer = await new Promise<{ status: string }>((resolve, reject) =>
            (health.Check as (r: object, cb: (e: Error | null, v: { status: string }) => void) => void).call(health, { service }, (e, v) =>
              e ? reject(e) : resolve(v),
            ),
          );
          assert.equal(answer.status, 'SERVING', service);
        }
      } finally {
        health.close();
      }
    });
  });
}
