// An injected abort as a service's clients see it: over HTTP, exactly the
// status asked for (problem+json, `type` by kind); over gRPC, the matching
// code (abort-mapping.ts), message included even for INTERNAL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GreeterServiceClient, GreeterServiceService } from '@flotilla/contracts/greeter';
import { createGrpcServer, unary, type GrpcServer } from '@flotilla/grpc';
import { createHttpServer, PROBLEM_CONTENT_TYPE, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { FaultPolicy, parseFaultHeader } from '@flotilla/resilience';
import { captureLogs } from '@flotilla/testing';

/** A call to some upstream that the fault (as `x-flotilla-fault` spells it) stops first. */
const policy = new FaultPolicy({ upstream: 'upstream' });
const callUpstream = (fault: string): Promise<string> => policy.execute(async () => 'answer', { fault: parseFaultHeader(fault) });

describe('an injected abort answered by an HTTP service', () => {
  let app: HttpApp;
  let base = '';
  const logs = captureLogs();
  before(async () => {
    app = createHttpServer({ logger: createLogger({ service: 'faulty', destination: logs.stream }) });
    app.get('/call', async (request) => ({ answer: await callUpstream(String(request.headers['x-flotilla-fault'])) }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(() => app.close());

  const cases: Array<[fault: string, status: number, kind: string]> = [
    ['abort=503', 503, 'unavailable'],
    ['abort=500', 500, 'internal'],
    ['abort=501', 501, 'internal'],
    ['abort=429', 429, 'rate-limited'],
    ['abort=418', 418, 'bad-request'],
    ['abort=grpc:ABORTED', 409, 'conflict'],
    ['abort=grpc:UNIMPLEMENTED', 501, 'method-not-allowed'],
  ];
  for (const [fault, status, kind] of cases) {
    test(`${fault} → ${status}, type ${kind}`, async () => {
      const response = await fetch(`${base}/call`, { headers: { 'x-flotilla-fault': fault } });
      assert.equal(response.status, status);
      assert.ok(response.headers.get('content-type')?.startsWith(PROBLEM_CONTENT_TYPE));
      const problem = (await response.json()) as { type: string; status: number; detail: string };
      assert.equal(problem.type, `https://flotilla.dev/problems/${kind}`);
      assert.equal(problem.status, status, 'the document says the status the response has');
      assert.match(problem.detail, /^Injected fault: abort with /, 'deliberate, so not masked as an unexpected error');
    });
  }

  test('an injected 5xx is not logged as a bug', () => {
    assert.equal(logs.lines.filter((line) => String(line.message ?? line.msg).startsWith('Unexpected error')).length, 0);
  });
});

describe('an injected abort answered by a gRPC service', () => {
  let server: GrpcServer;
  let client: InstanceType<typeof GreeterServiceClient>;
  before(async () => {
    server = createGrpcServer({
      logger: createLogger({ service: 'faulty', destination: captureLogs().stream }),
      services: [
        {
          definition: GreeterServiceService,
          implementation: { sayHello: unary(async (request) => ({ message: await callUpstream(request.name) })) },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    client = new GreeterServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.shutdown(1_000);
  });

  const statusOf = (fault: string): Promise<grpc.ServiceError> =>
    new Promise((resolve, reject) =>
      client.sayHello({ name: fault }, (error) => (error === null ? reject(new Error('expected a failure')) : resolve(error))),
    );

  const cases: Array<[fault: string, code: grpc.status]> = [
    ['abort=grpc:ABORTED', grpc.status.ABORTED], // not ALREADY_EXISTS, which its kind (conflict) would give
    ['abort=grpc:DATA_LOSS', grpc.status.DATA_LOSS],
    ['abort=grpc:UNAVAILABLE', grpc.status.UNAVAILABLE],
    ['abort=503', grpc.status.UNAVAILABLE],
    ['abort=504', grpc.status.DEADLINE_EXCEEDED],
    ['abort=429', grpc.status.RESOURCE_EXHAUSTED],
    ['abort=418', grpc.status.INVALID_ARGUMENT],
    ['abort=501', grpc.status.UNIMPLEMENTED],
  ];
  for (const [fault, code] of cases) {
    test(`${fault} → ${grpc.status[code]}`, async () => {
      const error = await statusOf(fault);
      assert.equal(error.code, code);
      assert.match(error.details, /^Injected fault: abort with /);
    });
  }

  test('an injected INTERNAL keeps its message (a real one is masked)', async () => {
    const error = await statusOf('abort=grpc:INTERNAL');
    assert.equal(error.code, grpc.status.INTERNAL);
    assert.match(error.details, /Injected fault: abort with gRPC code 13/);
  });
});
