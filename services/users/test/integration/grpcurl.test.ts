/**
 * UserService through grpcurl, which knows nothing but the address: every
 * type it shows or sends comes from server reflection (no .proto files given).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startUsers, type UsersUnderTest } from '@flotilla/testing';
import { ensureGrpcurl, grpcurl } from '../../../../scripts/test-services/grpcurl.ts';

let users: UsersUnderTest;
const call = (...args: string[]) => grpcurl(['-plaintext', '-max-time', '20', ...args]);
before(async () => {
  await ensureGrpcurl(); // the first run on a machine builds it
  users = await startUsers();
});
after(() => users.stop());

test('list names the service and health', async () => {
  const listed = await call(users.grpcAddress, 'list');
  assert.equal(listed.exitCode, 0, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split('\n'), ['flotilla.users.v1.UserService', 'grpc.health.v1.Health']);
});

test('describe resolves every service and the types they use, google.protobuf.Timestamp included', async () => {
  const service = await call(users.grpcAddress, 'describe', 'flotilla.users.v1.UserService');
  assert.equal(service.exitCode, 0, service.stderr);
  assert.match(service.stdout, /flotilla\.users\.v1\.UserService is a service:/);
  for (const rpc of ['GetUser', 'BatchGetUsers', 'ListUsers', 'CreateUser']) assert.match(service.stdout, new RegExp(`rpc ${rpc} \\(`));
  assert.match(service.stdout, /option idempotency_level = NO_SIDE_EFFECTS;/);

  const user = await call(users.grpcAddress, 'describe', 'flotilla.users.v1.User');
  assert.equal(user.exitCode, 0, user.stderr);
  assert.match(user.stdout, /\.google\.protobuf\.Timestamp create_time = 4;/);

  const health = await call(users.grpcAddress, 'describe', 'grpc.health.v1.Health');
  assert.equal(health.exitCode, 0, health.stderr);
  assert.match(health.stdout, /rpc Check \( \.grpc\.health\.v1\.HealthCheckRequest \)/);
});

test('a call on every service, built from reflection alone', async () => {
  const email = `grpcurl-${process.pid}@example.com`;
  const created = await call('-d', JSON.stringify({ name: 'Grace', email }), users.grpcAddress, 'flotilla.users.v1.UserService/CreateUser');
  assert.equal(created.exitCode, 0, created.stderr);
  const { user } = JSON.parse(created.stdout) as { user: { id: string; email: string; createTime: string } };
  assert.equal(user.email, email);
  assert.match(user.createTime, /^\d{4}-\d{2}-\d{2}T/, 'a Timestamp, printed as RFC 3339');

  const got = await call('-d', JSON.stringify({ id: user.id }), users.grpcAddress, 'flotilla.users.v1.UserService/GetUser');
  assert.equal(got.exitCode, 0, got.stderr);
  assert.equal((JSON.parse(got.stdout) as { user: { id: string } }).user.id, user.id);

  const health = await call('-d', '{}', users.grpcAddress, 'grpc.health.v1.Health/Check');
  assert.equal(health.exitCode, 0, health.stderr);
  assert.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
});

test('an invalid call: grpcurl decodes the google.rpc.BadRequest details', async () => {
  const invalid = await call(
    '-format-error',
    '-d',
    JSON.stringify({ name: 'Ken', email: 'not-an-email' }),
    users.grpcAddress,
    'flotilla.users.v1.UserService/CreateUser',
  );
  assert.equal(invalid.exitCode, 64 + 3, 'grpcurl exits with 64 + INVALID_ARGUMENT');
  const status = JSON.parse(invalid.stderr) as { code: number; details: { '@type': string; fieldViolations?: { field: string }[] }[] };
  assert.equal(status.code, 3);
  const badRequest = status.details.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
  assert.deepEqual(
    badRequest?.fieldViolations?.map((violation) => violation.field),
    ['email'],
  );
});
