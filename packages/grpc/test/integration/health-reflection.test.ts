import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { listReflectedServices, ReflectionError } from '@flotilla/grpc';
import { eventually, repoRoot } from '@flotilla/testing';
import { startGreeter, type RunningGreeter } from '@flotilla/testing';

const protoRoot = join(repoRoot, 'proto');
const GREETER = 'flotilla.greeter.v1.GreeterService';

type Ctor = grpc.ServiceClientConstructor;
type HealthResponse = { status: string };

// The health client is built from proto/grpc/health/v1/health.proto, so these
// tests also check the kit's hand-written codec against the published contract.
const healthPackage = grpc.loadPackageDefinition(
  loadSync(join(protoRoot, 'grpc/health/v1/health.proto'), { enums: String }),
) as unknown as {
  grpc: { health: { v1: { Health: Ctor } } };
};

function healthClient(target: string): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  return new healthPackage.grpc.health.v1.Health(target, grpc.credentials.createInsecure()) as grpc.Client &
    Record<string, (...args: unknown[]) => unknown>;
}

function check(client: ReturnType<typeof healthClient>, service: string): Promise<HealthResponse> {
  return new Promise((resolve, reject) =>
    client.check!({ service }, (error: grpc.ServiceError | null, response: HealthResponse) => (error ? reject(error) : resolve(response))),
  );
}

/** Opens a Watch and collects what it streams. */
function watch(client: ReturnType<typeof healthClient>, service: string) {
  const statuses: string[] = [];
  const stream = client.watch!({ service }) as grpc.ClientReadableStream<HealthResponse>;
  let error: grpc.ServiceError | undefined;
  stream.on('data', (response: HealthResponse) => statuses.push(response.status));
  stream.on('error', (e: grpc.ServiceError) => (error = e));
  return { statuses, stream, error: () => error };
}

describe('health', () => {
  let ready = true;
  let greeter: RunningGreeter;
  let client: ReturnType<typeof healthClient>;
  before(async () => {
    greeter = await startGreeter({ health: () => ready, healthPollIntervalMs: 20 });
    client = healthClient(greeter.target);
  });
  after(async () => {
    client.close();
    await greeter.grpc.shutdown(1000);
  });

  test('Check follows the readiness function, for the server and for each service', async () => {
    ready = true;
    assert.equal((await check(client, '')).status, 'SERVING');
    assert.equal((await check(client, GREETER)).status, 'SERVING');
    ready = false;
    assert.equal((await check(client, '')).status, 'NOT_SERVING');
    assert.equal((await check(client, GREETER)).status, 'NOT_SERVING');
    ready = true;
    assert.equal((await check(client, '')).status, 'SERVING');
  });

  test('Check of an unknown service is NOT_FOUND', async () => {
    await assert.rejects(check(client, 'no.such.Service'), (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND);
  });

  test('Watch sends the current status, then the change (pushed by refreshHealth)', async () => {
    ready = true;
    const watching = watch(client, GREETER);
    await eventually(() => watching.statuses.length >= 1, { message: 'the first Watch message' });
    assert.deepEqual(watching.statuses, ['SERVING']);
    ready = false;
    greeter.grpc.refreshHealth();
    await eventually(() => watching.statuses.length >= 2, { message: 'the NOT_SERVING message' });
    assert.deepEqual(watching.statuses.slice(0, 2), ['SERVING', 'NOT_SERVING']);
    watching.stream.cancel();
    ready = true;
  });

  test('Watch notices a readiness change by itself (polling), and only sends changes', async () => {
    ready = true;
    const watching = watch(client, '');
    await eventually(() => watching.statuses.length >= 1, { message: 'the first Watch message' });
    ready = false;
    await eventually(() => watching.statuses.includes('NOT_SERVING'), { message: 'the polled NOT_SERVING' });
    ready = true;
    await eventually(() => watching.statuses.length >= 3, { message: 'SERVING again' });
    assert.deepEqual(watching.statuses, ['SERVING', 'NOT_SERVING', 'SERVING']);
    watching.stream.cancel();
  });

  test('Watch of an unknown service says SERVICE_UNKNOWN', async () => {
    const watching = watch(client, 'no.such.Service');
    await eventually(() => watching.statuses.length >= 1, { message: 'the Watch message' });
    assert.deepEqual(watching.statuses, ['SERVICE_UNKNOWN']);
    watching.stream.cancel();
  });
});

test('shutdown turns health NOT_SERVING and ends open Watch streams', async () => {
  const greeter = await startGreeter();
  const client = healthClient(greeter.target);
  try {
    const watching = watch(client, '');
    await eventually(() => watching.statuses.length >= 1, { message: 'the first Watch message' });
    const result = await greeter.grpc.shutdown(5000);
    assert.equal(result.forced, false, 'the Watch stream must not hold the shutdown up');
    await eventually(() => watching.error(), { message: 'the Watch stream to end' });
    assert.deepEqual(watching.statuses, ['SERVING', 'NOT_SERVING']);
    assert.equal(watching.error()?.code, grpc.status.UNAVAILABLE);
  } finally {
    client.close();
  }
});

describe('reflection', () => {
  const reflectionProtoRoot = join(repoRoot, 'node_modules', '@grpc', 'reflection', 'build', 'proto');
  let greeter: RunningGreeter;
  before(async () => {
    greeter = await startGreeter({ descriptorSet });
  });
  after(async () => {
    await greeter.grpc.shutdown(1000);
  });

  for (const version of ['v1', 'v1alpha'] as const) {
    test(`${version} lists the registered services and serves their descriptors`, async () => {
      const definition = loadSync(join(reflectionProtoRoot, `grpc/reflection/${version}/reflection.proto`), {
        includeDirs: [reflectionProtoRoot],
      });
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        grpc: { reflection: Record<string, { ServerReflection: Ctor }> };
      };
      const Reflection = loaded.grpc.reflection[version]!.ServerReflection;
      const client = new Reflection(greeter.target, grpc.credentials.createInsecure()) as grpc.Client &
        Record<string, () => grpc.ClientDuplexStream<object, Record<string, unknown>>>;
      try {
        const call = client.serverReflectionInfo!();
        const responses: Record<string, unknown>[] = [];
        const done = new Promise<void>((resolve, reject) => {
          call.on('data', (response: Record<string, unknown>) => responses.push(response));
          call.on('end', resolve);
          call.on('error', reject);
        });
        call.write({ listServices: '' });
        call.write({ fileContainingSymbol: GREETER });
        call.end();
        await done;

        const listed = responses[0]?.listServicesResponse as { service: { name: string }[] } | undefined;
        const names = (listed?.service ?? []).map((s) => s.name).sort();
        assert.deepEqual(names, [GREETER, 'grpc.health.v1.Health']);
        const files = responses[1]?.fileDescriptorResponse as { fileDescriptorProto: Buffer[] } | undefined;
        assert.ok((files?.fileDescriptorProto.length ?? 0) >= 1, 'the descriptor of the greeter file');
        assert.ok(files?.fileDescriptorProto.some((bytes) => bytes.toString('latin1').includes('flotilla/greeter/v1/greeter.proto')));
      } finally {
        client.close();
      }
    });
  }

  test('listReflectedServices reads the same list; a listener that is not there is a ReflectionError', async () => {
    assert.deepEqual(await listReflectedServices(greeter.target, 5_000), [GREETER, 'grpc.health.v1.Health'].sort());
    await assert.rejects(listReflectedServices('127.0.0.1:1', 2_000), ReflectionError);
  });
});
