/**
 * Hostile gRPC input against the test greeter (the shared checks in
 * support/hostile-suite.ts), then what only the kit's own services and
 * options show: request-streaming methods, health, reflection, the metadata
 * limit option and its log line, and what grpc-js answers by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { SayHelloRequest, SayHelloResponse } from '@flotilla/contracts/greeter';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { captureLogs, startGreeter, type RunningGreeter } from '@flotilla/testing';
import { createGrpcServer, type GrpcServer, MALFORMED_REQUEST_MESSAGE, REQUEST_ID_METADATA_KEY } from '../../src/index.ts';
import { describeHostileInput, http2Call, rawBidi, rawClientStream, rawUnary, UNDECODABLE_MESSAGES } from '@flotilla/testing';

const SAY_HELLO = '/flotilla.greeter.v1.GreeterService/SayHello';
const hello = (name: string): Buffer => Buffer.from(SayHelloRequest.encode({ name }).finish());
let greetings = 0;

describeHostileInput('the test greeter', async () => {
  const greeter = await startGreeter({ descriptorSet });
  return {
    target: greeter.target,
    path: SAY_HELLO,
    validRequest: () => hello(`guest ${++greetings}`),
    // The greeter records every name it handles; an empty one is refused by its validation.
    effects: async () => greeter.probe.calls.filter((name) => name !== '').length,
    stop: async () => {
      await greeter.grpc.shutdown(1000);
    },
  };
});

// Request-streaming methods on a service of the test's own, with the greeter's messages.
const COLLECT = '/flotilla.test.v1.Collector/Collect';
const CHAT = '/flotilla.test.v1.Collector/Chat';
const collectorMethod = (path: string, responseStream: boolean) => ({
  path,
  requestStream: true,
  responseStream,
  requestSerialize: (request: SayHelloRequest) => Buffer.from(SayHelloRequest.encode(request).finish()),
  requestDeserialize: (bytes: Buffer) => SayHelloRequest.decode(bytes),
  responseSerialize: (response: SayHelloResponse) => Buffer.from(SayHelloResponse.encode(response).finish()),
  responseDeserialize: (bytes: Buffer) => SayHelloResponse.decode(bytes),
  originalName: path.split('/')[2]!,
});

describe('request guards beyond one unary method', () => {
  const logs = captureLogs();
  let server: GrpcServer;
  let target: string;
  let client: grpc.Client;
  const collected: string[] = [];
  before(async () => {
    server = createGrpcServer({
      logger: pino({ level: 'debug' }, logs.stream),
      services: [
        {
          definition: { collect: collectorMethod(COLLECT, false), chat: collectorMethod(CHAT, true) },
          implementation: {
            collect: (call: grpc.ServerReadableStream<SayHelloRequest, SayHelloResponse>, done: grpc.sendUnaryData<SayHelloResponse>) => {
              const names: string[] = [];
              call.on('data', (request: SayHelloRequest) => names.push(request.name));
              call.on('end', () => {
                collected.push(...names);
                done(null, { message: names.join(',') });
              });
            },
            chat: (call: grpc.ServerDuplexStream<SayHelloRequest, SayHelloResponse>) => {
              call.on('data', (request: SayHelloRequest) => {
                collected.push(request.name);
                call.write({ message: `Hello, ${request.name}!` });
              });
              call.on('end', () => call.end());
            },
          },
        },
      ],
      maxMetadataBytes: 1024,
    });
    target = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    client = new grpc.Client(target, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.shutdown(1000);
  });

  test('undecodable messages in a client stream or a bidi stream are INVALID_ARGUMENT (grpc-js alone says INTERNAL)', async () => {
    for (const [what, bytes] of Object.entries(UNDECODABLE_MESSAGES)) {
      const before = collected.length;
      const streamed = await rawClientStream(client, COLLECT, [hello('first'), bytes, hello('never')]);
      assert.equal(grpc.status[streamed.code], 'INVALID_ARGUMENT', `client stream, ${what}: ${streamed.details}`);
      assert.equal(streamed.details, MALFORMED_REQUEST_MESSAGE);
      const chatted = await rawBidi(client, CHAT, [bytes, hello('never')]);
      assert.equal(grpc.status[chatted.code], 'INVALID_ARGUMENT', `bidi stream, ${what}: ${chatted.details}`);
      assert.equal(collected.length, before, 'nothing after the bad message is handled, and the collector never completes');
    }
    const good = await rawClientStream(client, COLLECT, [hello('Ada'), hello('Grace')]);
    assert.equal(good.code, grpc.status.OK);
    assert.equal(SayHelloResponse.decode(good.response!).message, 'Ada,Grace');
    const chat = await rawBidi(client, CHAT, [hello('Linus')]);
    assert.equal(chat.code, grpc.status.OK);
    assert.deepEqual(
      chat.responses.map((bytes) => SayHelloResponse.decode(bytes).message),
      ['Hello, Linus!'],
    );
  });

  test('health and reflection refuse undecodable requests with INVALID_ARGUMENT too', async () => {
    const greeter = await startGreeter({ descriptorSet });
    const own = new grpc.Client(greeter.target, grpc.credentials.createInsecure());
    try {
      const garbage = UNDECODABLE_MESSAGES['a length-delimited field longer than the message']!;
      const check = await rawUnary(own, '/grpc.health.v1.Health/Check', garbage);
      assert.equal(grpc.status[check.code], 'INVALID_ARGUMENT', check.details);
      for (const version of ['v1', 'v1alpha']) {
        const reflection = await rawBidi(own, `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`, [garbage]);
        assert.equal(grpc.status[reflection.code], 'INVALID_ARGUMENT', `${version}: ${reflection.details}`);
      }
      assert.equal((await rawUnary(own, '/grpc.health.v1.Health/Check', Buffer.alloc(0))).code, grpc.status.OK);
    } finally {
      own.close();
      await greeter.grpc.shutdown(1000);
    }
  });

  test('maxMetadataBytes sets the limit; the refusal is logged with its request id and echoes it', async () => {
    const small = new grpc.Metadata();
    small.set('x-note', 'a'.repeat(512));
    assert.equal((await rawClientStream(client, COLLECT, [])).code, grpc.status.OK);
    const accepted = await new Promise<grpc.status>((resolve) => {
      const call = client.makeClientStreamRequest(
        COLLECT,
        (b: Buffer) => b,
        (b: Buffer) => b,
        small,
        {},
        (error) => resolve(error?.code ?? grpc.status.OK),
      );
      call.end();
    });
    assert.equal(accepted, grpc.status.OK, '512 bytes of metadata are within 1 KiB');

    const big = new grpc.Metadata();
    big.set('x-note', 'a'.repeat(2048));
    big.set(REQUEST_ID_METADATA_KEY, 'hostile-metadata-1');
    const refused = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const call = client.makeClientStreamRequest(
        COLLECT,
        (b: Buffer) => b,
        (b: Buffer) => b,
        big,
        {},
        (error) => (error ? resolve(error) : reject(new Error('expected RESOURCE_EXHAUSTED'))),
      );
      call.end();
    });
    assert.equal(grpc.status[refused.code], 'RESOURCE_EXHAUSTED');
    assert.match(refused.details, /over the limit of 1024/);
    assert.deepEqual(refused.metadata.get(REQUEST_ID_METADATA_KEY), ['hostile-metadata-1']);
    const line = logs.lines.find((l) => l.requestId === 'hostile-metadata-1');
    assert.deepEqual(line?.grpc, { code: grpc.status.RESOURCE_EXHAUSTED, status: 'RESOURCE_EXHAUSTED' });
  });
});

describe('what grpc-js answers before any interceptor runs', () => {
  let greeter: RunningGreeter;
  before(async () => {
    greeter = await startGreeter();
  });
  after(async () => {
    await greeter.grpc.shutdown(1000);
  });

  test('an unparseable grpc-timeout is INTERNAL (grpc-js decides), runs nothing, and the server serves on', async () => {
    const before = greeter.probe.calls.length;
    const outcome = await http2Call(greeter.target, SAY_HELLO, hello('never'), { 'grpc-timeout': 'soon' });
    assert.equal(outcome.grpcStatus, grpc.status.INTERNAL, outcome.grpcMessage);
    assert.match(outcome.grpcMessage, /Invalid grpc-timeout value "soon"/);
    assert.equal(greeter.probe.calls.length, before);
    const normal = await http2Call(greeter.target, SAY_HELLO, hello('Ada'), { 'grpc-timeout': '5S' });
    assert.equal(normal.grpcStatus, grpc.status.OK);
  });
});
