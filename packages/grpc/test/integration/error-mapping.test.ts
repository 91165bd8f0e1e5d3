import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import * as grpc from '@grpc/grpc-js';
import { GreeterServiceClient, GreeterServiceService } from '@flotilla/contracts/greeter';
import { BadRequest, ErrorInfo, Status } from '@flotilla/contracts/rpc-status';
import { UserServiceService } from '@flotilla/contracts/users';
import { captureLogs } from '@flotilla/testing';
import {
  ConflictError,
  FlotillaError,
  NotFoundError,
  PreconditionFailedError,
  UnavailableError,
  UnprocessableError,
  ValidationError,
} from '@flotilla/core';
import {
  ChannelPool,
  codeForStatus,
  createGrpcClient,
  createGrpcServer,
  REQUEST_ID_METADATA_KEY,
  STATUS_DETAILS_TRAILER,
  toFlotillaError,
  serverStreaming,
  toGrpcStatus,
  unary,
} from '../../src/index.ts';
import { startGreeter, type RunningGreeter } from '@flotilla/testing';

function rawCall(client: InstanceType<typeof GreeterServiceClient>, name: string): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) =>
    client.sayHello({ name }, (error) => (error === null ? reject(new Error('expected a failure')) : resolve(error))),
  );
}

describe('error mapping over the wire', () => {
  let greeter: RunningGreeter;
  let raw: InstanceType<typeof GreeterServiceClient>;
  const pool = new ChannelPool();
  before(async () => {
    greeter = await startGreeter();
    raw = new GreeterServiceClient(greeter.target, grpc.credentials.createInsecure());
  });
  after(async () => {
    raw.close();
    pool.closeAll();
    await greeter.grpc.shutdown(1000);
  });

  const cases: [name: string, code: grpc.status][] = [
    ['', grpc.status.INVALID_ARGUMENT],
    ['missing', grpc.status.NOT_FOUND],
    ['taken', grpc.status.ALREADY_EXISTS],
    ['stale', grpc.status.ABORTED],
    ['unprocessable', grpc.status.FAILED_PRECONDITION],
    ['throttled', grpc.status.RESOURCE_EXHAUSTED],
    ['boom', grpc.status.INTERNAL],
  ];
  for (const [name, code] of cases) {
    test(`"${name}" comes back as ${grpc.status[code]}`, async () => {
      const error = await rawCall(raw, name);
      assert.equal(error.code, code);
    });
  }

  test('a validation error carries google.rpc.BadRequest field violations in grpc-status-details-bin', async () => {
    const error = await rawCall(raw, '');
    assert.equal(error.details, 'The request is invalid');
    const [bytes] = error.metadata.get(STATUS_DETAILS_TRAILER);
    assert.ok(Buffer.isBuffer(bytes));
    // Decoded with the generated google.rpc types, independent of the kit's codec.
    const status = Status.decode(bytes);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(status.message, 'The request is invalid');
    const badRequest = status.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.BadRequest');
    assert.ok(badRequest);
    assert.deepEqual(BadRequest.decode(badRequest.value).fieldViolations, [
      { field: 'name', description: 'must not be empty', reason: 'minLength', localizedMessage: undefined },
    ]);
    const info = status.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.ErrorInfo');
    assert.ok(info);
    assert.deepEqual(ErrorInfo.decode(info.value), {
      reason: 'VALIDATION',
      domain: 'flotilla.dev',
      metadata: { code: 'validation' },
    });
  });

  test('an unexpected error becomes INTERNAL with a generic message, and is logged with the request id', async () => {
    const metadata = new grpc.Metadata();
    metadata.set(REQUEST_ID_METADATA_KEY, 'req-boom');
    const error = await new Promise<grpc.ServiceError>((resolve) => raw.sayHello({ name: 'boom' }, metadata, (e) => resolve(e!)));
    assert.equal(error.code, grpc.status.INTERNAL);
    assert.equal(error.details, 'Internal error');
    assert.doesNotMatch(JSON.stringify({ details: error.details, metadata: error.metadata.getMap() }), /hunter2|at .*\.ts/);
    const logged = greeter.lines.find((line) => line.requestId === 'req-boom' && line.level === 50 && line.err !== undefined);
    assert.ok(logged, 'the failure is logged');
    assert.match(JSON.stringify(logged.err), /hunter2/);
  });

  test('a failed call is logged once, at warn, with its status', async () => {
    const metadata = new grpc.Metadata();
    metadata.set(REQUEST_ID_METADATA_KEY, 'req-missing');
    await new Promise((resolve) => raw.sayHello({ name: 'missing' }, metadata, resolve));
    const lines = greeter.lines.filter((line) => line.requestId === 'req-missing');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 40);
    assert.deepEqual(lines[0]?.grpc, { code: grpc.status.NOT_FOUND, status: 'NOT_FOUND' });
  });

  test('the promise client turns statuses back into the matching FlotillaError classes', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });

    const invalid = await client.sayHello({ name: '' }).catch((e: unknown) => e);
    assert.ok(invalid instanceof ValidationError);
    assert.deepEqual(invalid.violations, [{ field: 'name', rule: 'minLength', message: 'must not be empty' }]);
    assert.equal((invalid.cause as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);

    await assert.rejects(
      client.sayHello({ name: 'missing' }),
      (e: unknown) => e instanceof NotFoundError && e.message === 'No such person: missing',
    );
    await assert.rejects(client.sayHello({ name: 'taken' }), (e: unknown) => e instanceof ConflictError && e.details === undefined);
    await assert.rejects(
      client.sayHello({ name: 'stale' }),
      (e: unknown) => e instanceof ConflictError && e.details?.reason === 'version-conflict' && e.details.current === '4',
    );
    await assert.rejects(
      client.sayHello({ name: 'unprocessable' }),
      (e: unknown) => e instanceof UnprocessableError && e.details?.limit === '3',
    );
    await assert.rejects(client.sayHello({ name: 'throttled' }), (e: unknown) => e instanceof FlotillaError && e.code === 'rate-limited');
    await assert.rejects(
      client.sayHello({ name: 'boom' }),
      (e: unknown) => e instanceof FlotillaError && e.code === 'internal' && e.message === 'Internal error',
    );
  });

  test('a callback-style handler passing a FlotillaError to its callback is mapped too', async () => {
    const logger = pino({ level: 'debug' }, captureLogs().stream);
    const server = createGrpcServer({
      logger,
      services: [
        {
          definition: GreeterServiceService,
          implementation: {
            sayHello: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
              callback(new NotFoundError('gone') as unknown as grpc.ServiceError, null),
          },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    const local = new ChannelPool();
    try {
      const client = createGrpcClient(GreeterServiceClient, 'g', { pool: local, resolve: () => `127.0.0.1:${port}` });
      await assert.rejects(client.sayHello({ name: 'x' }), (e: unknown) => e instanceof NotFoundError && e.message === 'gone');
    } finally {
      local.closeAll();
      await server.shutdown(1000);
    }
  });
});

describe('malformed input', () => {
  let greeter: RunningGreeter;
  let garbageClient: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  before(async () => {
    const logger = pino({ level: 'debug' }, captureLogs().stream);
    greeter = await startGreeter({
      logger,
      services: [
        {
          definition: GreeterServiceService,
          implementation: {
            sayHello: unary(async (request: { name: string }) => ({ message: `Hello, ${request.name}!` })),
          },
        },
        // Only ListUsers is implemented; GetUser stays UNIMPLEMENTED.
        { definition: UserServiceService, implementation: { listUsers: serverStreaming(function* () {}) } },
      ],
    });
    const identity = (value: Buffer): Buffer => value;
    const passthrough = (path: string, responseStream: boolean) => ({
      path,
      requestStream: false,
      responseStream,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    });
    const Raw = grpc.makeGenericClientConstructor(
      {
        sayHello: passthrough('/flotilla.greeter.v1.GreeterService/SayHello', false),
        listUsers: passthrough('/flotilla.users.v1.UserService/ListUsers', true),
        getUser: passthrough('/flotilla.users.v1.UserService/GetUser', false),
      },
      'Raw',
    );
    garbageClient = new Raw(greeter.target, grpc.credentials.createInsecure()) as typeof garbageClient;
  });
  after(async () => {
    garbageClient.close();
    await greeter.grpc.shutdown(1000);
  });

  // Field 1, length-delimited, claims 5 bytes but carries 1: not a valid message.
  const garbage = Buffer.from([0x0a, 0x05, 0x61]);

  test('garbage bytes get INVALID_ARGUMENT and the server keeps serving', async () => {
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      garbageClient.sayHello!(garbage, (e: grpc.ServiceError | null) => resolve(e)),
    );
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(error?.details, 'The request message could not be decoded');

    const reply = await new Promise<Buffer>((resolve, reject) =>
      garbageClient.sayHello!(Buffer.from([0x0a, 0x02, 0x6f, 0x6b]), (e: grpc.ServiceError | null, r: Buffer) =>
        e ? reject(e) : resolve(r),
      ),
    );
    assert.match(reply.toString('latin1'), /Hello, ok!/);
  });

  test('garbage bytes to a server-streaming method get INVALID_ARGUMENT', async () => {
    const stream = garbageClient.listUsers!(garbage) as grpc.ClientReadableStream<Buffer>;
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('data', () => {});
      stream.on('error', resolve);
    });
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
  });

  test('a method without a handler is UNIMPLEMENTED', async () => {
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      garbageClient.getUser!(Buffer.alloc(0), (e: grpc.ServiceError | null) => resolve(e)),
    );
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED);
  });
});

describe('mapping functions', () => {
  test('every FlotillaError code maps to its gRPC status', () => {
    const expectations: [FlotillaError, grpc.status][] = [
      [new ValidationError([]), grpc.status.INVALID_ARGUMENT],
      [new NotFoundError('x'), grpc.status.NOT_FOUND],
      [new ConflictError('x'), grpc.status.ALREADY_EXISTS],
      [new ConflictError('x', { reason: 'version-conflict' }), grpc.status.ABORTED],
      [new PreconditionFailedError('x'), grpc.status.FAILED_PRECONDITION],
      [new UnprocessableError('x'), grpc.status.FAILED_PRECONDITION],
      [new UnavailableError('x'), grpc.status.UNAVAILABLE],
      [new FlotillaError('deadline-exceeded', 'x'), grpc.status.DEADLINE_EXCEEDED],
      [new FlotillaError('unauthenticated', 'x'), grpc.status.UNAUTHENTICATED],
      [new FlotillaError('forbidden', 'x'), grpc.status.PERMISSION_DENIED],
      [new FlotillaError('rate-limited', 'x'), grpc.status.RESOURCE_EXHAUSTED],
      [new FlotillaError('internal', 'secret'), grpc.status.INTERNAL],
    ];
    for (const [error, code] of expectations) {
      const status = toGrpcStatus(error);
      assert.equal(status.code, code, error.code);
    }
    assert.equal(toGrpcStatus(new FlotillaError('internal', 'secret')).details, 'Internal error');
    assert.equal(toGrpcStatus(new TypeError('x is undefined')).details, 'Internal error');
    assert.equal(toGrpcStatus(new TypeError('x')).expected, false);
  });

  test('statuses from servers that send no Flotilla details still map by code', () => {
    const status = (code: grpc.status): grpc.ServiceError =>
      Object.assign(new Error('m'), { code, details: 'm', metadata: new grpc.Metadata() });
    assert.ok(toFlotillaError(status(grpc.status.INVALID_ARGUMENT)) instanceof ValidationError);
    assert.ok(toFlotillaError(status(grpc.status.NOT_FOUND)) instanceof NotFoundError);
    assert.ok(toFlotillaError(status(grpc.status.FAILED_PRECONDITION)) instanceof PreconditionFailedError);
    assert.ok(toFlotillaError(status(grpc.status.UNAVAILABLE)) instanceof UnavailableError);
    assert.equal(toFlotillaError(status(grpc.status.ABORTED)).details?.reason, 'version-conflict');
    assert.equal(codeForStatus(grpc.status.PERMISSION_DENIED), 'forbidden');
    assert.equal(codeForStatus(grpc.status.UNAUTHENTICATED), 'unauthenticated');
    assert.equal(codeForStatus(grpc.status.UNKNOWN), 'internal');
    // Malformed details do not hide the status.
    const withJunk = status(grpc.status.NOT_FOUND);
    withJunk.metadata.set(STATUS_DETAILS_TRAILER, Buffer.from([0xff, 0xff, 0xff]));
    assert.ok(toFlotillaError(withJunk) instanceof NotFoundError);
  });
});
