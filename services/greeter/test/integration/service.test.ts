/** Greeter end to end: REST and gRPC on real sockets, with the generated and a run-time-loaded client. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ValidationError, type RunningService } from '@flotilla/kit';
import { createGrpcClient } from '@flotilla/grpc';
import { GreeterServiceClient } from '@flotilla/contracts/greeter';
import { configDir, repoRoot } from '@flotilla/testing';
import { greeterService } from '../../src/service.ts';

let running: RunningService<unknown, unknown>;
before(async () => {
  running = await greeterService.start({
    configDir,
    namespace: 'dev',
    env: { FLOTILLA_GREETER__HTTP__PORT: '0', FLOTILLA_GREETER__GRPC__PORT: '0', FLOTILLA_GREETER__LOG__LEVEL: 'warn' },
  });
});
after(() => running.stop());

test('GET /hello/:name', async () => {
  const response = await fetch(`${running.httpUrl}/hello/Ada%20Lovelace`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: 'Hello, Ada Lovelace!' });
  const blank = await fetch(`${running.httpUrl}/hello/%20%20`);
  assert.equal(blank.status, 400);
  assert.equal(((await blank.json()) as { type: string }).type, 'https://flotilla.dev/problems/validation');
});

test('SayHello through the generated client', async () => {
  const client = createGrpcClient(GreeterServiceClient, 'greeter', { resolve: () => running.grpcAddress as string });
  assert.deepEqual(await client.sayHello({ name: 'Grace' }), { message: 'Hello, Grace!' });
  await assert.rejects(client.sayHello({ name: '' }), ValidationError);
});

test('SayHello through a client that loads greeter.proto at run time', async () => {
  const definition = protoLoader.loadSync('flotilla/greeter/v1/greeter.proto', {
    includeDirs: [join(repoRoot, 'proto')],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    flotilla: { greeter: { v1: { GreeterService: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.flotilla.greeter.v1.GreeterService(running.grpcAddress as string, grpc.credentials.createInsecure());
  try {
    const reply = await new Promise<{ message: string }>((resolve, reject) =>
      (client.SayHello as (r: object, cb: (e: Error | null, v: { message: string }) => void) => void).call(
        client,
        { name: 'Linus' },
        (e, v) => (e ? reject(e) : resolve(v)),
      ),
    );
    assert.equal(reply.message, 'Hello, Linus!');
  } finally {
    client.close();
  }
});

test('the OpenAPI document describes /hello/{name}', async () => {
  const doc = (await (await fetch(`${running.httpUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  assert.ok(doc.paths['/hello/{name}']);
});
