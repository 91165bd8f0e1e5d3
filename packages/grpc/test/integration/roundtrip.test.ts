import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { GreeterServiceClient, GreeterServiceService } from '@flotilla/contracts/greeter';
import { captureLogs, repoRoot } from '@flotilla/testing';
import { ChannelPool, createGrpcClient, createGrpcServer, REQUEST_ID_METADATA_KEY } from '../../src/index.ts';
import { startGreeter, type RunningGreeter } from '@flotilla/testing';

const protoRoot = join(repoRoot, 'proto');

describe('round trip', () => {
  let greeter: RunningGreeter;
  const pool = new ChannelPool();
  before(async () => {
    greeter = await startGreeter();
  });
  after(async () => {
    pool.closeAll();
    await greeter.grpc.shutdown(1000);
  });

  test('the generated callback client gets an answer', async () => {
    const client = new GreeterServiceClient(greeter.target, grpc.credentials.createInsecure());
    try {
      const response = await new Promise<{ message: string }>((resolve, reject) =>
        client.sayHello({ name: 'Ada' }, (error, reply) => (error ? reject(error) : resolve(reply))),
      );
      assert.equal(response.message, 'Hello, Ada!');
    } finally {
      client.close();
    }
  });

  test('a client that loads the .proto at run time with proto-loader gets an answer', async () => {
    const definition = loadSync(join(protoRoot, 'flotilla/greeter/v1/greeter.proto'), { includeDirs: [protoRoot] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      flotilla: { greeter: { v1: { GreeterService: grpc.ServiceClientConstructor } } };
    };
    const client = new loaded.flotilla.greeter.v1.GreeterService(greeter.target, grpc.credentials.createInsecure());
    try {
      const response = await new Promise<{ message: string }>((resolve, reject) =>
        client.sayHello!({ name: 'Grace' }, (error: grpc.ServiceError | null, reply: { message: string }) =>
          error ? reject(error) : resolve(reply),
        ),
      );
      assert.equal(response.message, 'Hello, Grace!');
    } finally {
      client.close();
    }
  });

  test('createGrpcClient resolves the service name and answers through promises', async () => {
    const asked: string[] = [];
    const client = createGrpcClient(GreeterServiceClient, 'greeter', {
      pool,
      resolve: (name) => {
        asked.push(name);
        return greeter.target;
      },
    });
    assert.deepEqual(asked, ['greeter']);
    assert.equal(client.target, greeter.target);
    const reply = await client.sayHello({ name: 'Linus' });
    assert.equal(reply.message, 'Hello, Linus!');
  });

  test('clients of one target share one channel', async () => {
    const local = new ChannelPool();
    try {
      const a = createGrpcClient(GreeterServiceClient, 'greeter', { pool: local, resolve: () => greeter.target });
      const b = createGrpcClient(GreeterServiceClient, 'greeter', { pool: local, resolve: () => greeter.target });
      assert.equal(a.raw.getChannel(), b.raw.getChannel());
      assert.equal(local.size, 1);
      await Promise.all([a.sayHello({ name: 'a' }), b.sayHello({ name: 'b' })]);
      local.get('127.0.0.1:1'); // another target, another channel
      assert.equal(local.size, 2);
    } finally {
      local.closeAll();
    }
    assert.equal(local.size, 0);
  });

  test('the request id travels to the handler and comes back in the response metadata', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
    const metadata = new grpc.Metadata();
    metadata.set(REQUEST_ID_METADATA_KEY, 'req-travels-1');
    const reply = await client.sayHello({ name: 'context' }, { metadata });
    assert.equal(JSON.parse(reply.message).requestId, 'req-travels-1');

    const echoed = await new Promise<grpc.Metadata>((resolve, reject) => {
      const call = client.raw.sayHello({ name: 'x' }, metadata, (error) => error && reject(error));
      call.on('metadata', resolve);
    });
    assert.deepEqual(echoed.get(REQUEST_ID_METADATA_KEY), ['req-travels-1']);
  });

  test('a missing or unsafe request id is replaced by a generated one', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
    const first = JSON.parse((await client.sayHello({ name: 'context' })).message).requestId as string;
    const second = JSON.parse((await client.sayHello({ name: 'context' })).message).requestId as string;
    assert.match(first, /^[0-9a-f-]{36}$/);
    assert.notEqual(first, second);

    const unsafe = new grpc.Metadata();
    unsafe.set(REQUEST_ID_METADATA_KEY, 'bad id with spaces / and slashes');
    const replaced = JSON.parse((await client.sayHello({ name: 'context' }, { metadata: unsafe })).message).requestId as string;
    assert.match(replaced, /^[0-9a-f-]{36}$/);
  });

  test('every call is logged once with method, code and duration', async () => {
    const logs = captureLogs();
    const logger = pino({ level: 'debug' }, logs.stream);
    const server = createGrpcServer({
      logger,
      services: [
        {
          definition: GreeterServiceService,
          implementation: {
            sayHello: (_call: unknown, cb: grpc.sendUnaryData<{ message: string }>) => cb(null, { message: 'hi' }),
          },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    const local = new ChannelPool();
    try {
      const client = createGrpcClient(GreeterServiceClient, 'greeter', {
        pool: local,
        resolve: () => `127.0.0.1:${port}`,
      });
      const metadata = new grpc.Metadata();
      metadata.set(REQUEST_ID_METADATA_KEY, 'req-logged');
      await client.sayHello({ name: 'x' }, { metadata });
      const callLines = logs.lines.filter((line) => (line.rpc as { method?: string } | undefined)?.method === 'SayHello');
      assert.equal(callLines.length, 1);
      const [line] = callLines;
      assert.equal(line?.requestId, 'req-logged');
      assert.deepEqual(line?.rpc, {
        system: 'grpc',
        service: 'flotilla.greeter.v1.GreeterService',
        method: 'SayHello',
      });
      assert.deepEqual(line?.grpc, { code: 0, status: 'OK' });
      assert.equal(typeof line?.durationMs, 'number');
    } finally {
      local.closeAll();
      await server.shutdown(1000);
    }
  });
});
