/**
 * GreeterService through grpcurl, which knows nothing but the address: every
 * type it shows or sends comes from server reflection (no .proto files given).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningService } from '@flotilla/kit';
import { captureLogs, configDir } from '@flotilla/testing';
import { ensureGrpcurl, grpcurl } from '../../../../scripts/test-services/grpcurl.ts';
import { greeterService } from '../../src/service.ts';

let running: RunningService<unknown, unknown>;
let address: string;
const call = (...args: string[]) => grpcurl(['-plaintext', '-max-time', '20', ...args]);
before(async () => {
  await ensureGrpcurl(); // the first run on a machine builds it
  running = await greeterService.start({
    configDir,
    namespace: 'dev',
    logDestination: captureLogs().stream,
    env: { FLOTILLA_GREETER__HTTP__PORT: '0', FLOTILLA_GREETER__GRPC__PORT: '0', FLOTILLA_GREETER__LOG__LEVEL: 'warn' },
  });
  address = running.grpcAddress as string;
});
after(() => running?.stop());

test('list names the service and health', async () => {
  const listed = await call(address, 'list');
  assert.equal(listed.exitCode, 0, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split('\n'), ['flotilla.greeter.v1.GreeterService', 'grpc.health.v1.Health']);
});

test('describe resolves every service and the types they use', async () => {
  const service = await call(address, 'describe', 'flotilla.greeter.v1.GreeterService');
  assert.equal(service.exitCode, 0, service.stderr);
  assert.match(
    service.stdout,
    /rpc SayHello \( \.flotilla\.greeter\.v1\.SayHelloRequest \) returns \( \.flotilla\.greeter\.v1\.SayHelloResponse \)/,
  );

  const request = await call(address, 'describe', 'flotilla.greeter.v1.SayHelloRequest');
  assert.equal(request.exitCode, 0, request.stderr);
  assert.match(request.stdout, /string name = 1;/);

  const health = await call(address, 'describe', 'grpc.health.v1.Health');
  assert.equal(health.exitCode, 0, health.stderr);
  assert.match(health.stdout, /rpc Check \( \.grpc\.health\.v1\.HealthCheckRequest \)/);
});

test('a call on every service, built from reflection alone', async () => {
  const hello = await call('-d', '{"name": "Ada Lovelace"}', address, 'flotilla.greeter.v1.GreeterService/SayHello');
  assert.equal(hello.exitCode, 0, hello.stderr);
  assert.deepEqual(JSON.parse(hello.stdout), { message: 'Hello, Ada Lovelace!' });

  const health = await call('-d', '{}', address, 'grpc.health.v1.Health/Check');
  assert.equal(health.exitCode, 0, health.stderr);
  assert.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
});

test('an invalid call: grpcurl decodes the google.rpc.BadRequest details', async () => {
  const invalid = await call('-format-error', '-d', '{"name": ""}', address, 'flotilla.greeter.v1.GreeterService/SayHello');
  assert.equal(invalid.exitCode, 64 + 3, `grpcurl exits with 64 + INVALID_ARGUMENT: ${invalid.stderr}`);
  const status = JSON.parse(invalid.stderr) as { code: number; details: { '@type': string; fieldViolations?: { field: string }[] }[] };
  assert.equal(status.code, 3);
  const badRequest = status.details.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
  assert.deepEqual(
    badRequest?.fieldViolations?.map((violation) => violation.field),
    ['name'],
  );

  // Without -format-error grpcurl prints the same details as text.
  const text = await call('-d', '{"name": ""}', address, 'flotilla.greeter.v1.GreeterService/SayHello');
  assert.match(text.stderr, /Code: InvalidArgument/);
  assert.match(text.stderr, /"@type": "type\.googleapis\.com\/google\.rpc\.BadRequest"/);
  assert.match(text.stderr, /"field": "name"/);
});
