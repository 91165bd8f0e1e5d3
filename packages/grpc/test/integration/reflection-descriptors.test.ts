/**
 * Reflection answers with every file a client needs: the file asked for and
 * all it imports, transitively, byte for byte as the descriptor set holds
 * them — over v1 and v1alpha, for file_by_filename, file_containing_symbol
 * and file_containing_extension. The client is built from the published
 * reflection.proto, so this also checks the hand-written codec.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_descriptor,
} from '@bufbuild/protobuf/wkt';
import { GreeterServiceService } from '@flotilla/contracts/greeter';
import { UserServiceService } from '@flotilla/contracts/users';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { repoRoot, startGreeter, type RunningGreeter } from '@flotilla/testing';
import { pino } from 'pino';
import { createGrpcServer } from '../../src/index.ts';

const reflectionProtoRoot = join(repoRoot, 'node_modules', '@grpc', 'reflection', 'build', 'proto');
const contracts = fromBinary(FileDescriptorSetSchema, descriptorSet).file;

/** A file that extends google.protobuf.MethodOptions, as a custom option would. */
const auditFile = create(FileDescriptorProtoSchema, {
  name: 'flotilla/test/v1/audit.proto',
  package: 'flotilla.test.v1',
  syntax: 'proto3',
  dependency: ['google/protobuf/descriptor.proto'],
  extension: [
    {
      name: 'audit_level',
      number: 50_001,
      label: FieldDescriptorProto_Label.OPTIONAL,
      type: FieldDescriptorProto_Type.STRING,
      extendee: '.google.protobuf.MethodOptions',
      jsonName: 'auditLevel',
    },
  ],
});
const withExtension = toBinary(
  FileDescriptorSetSchema,
  create(FileDescriptorSetSchema, { file: [...contracts, file_google_protobuf_descriptor.proto, auditFile] }),
);
const setFiles = new Map<string, FileDescriptorProto>(
  [...contracts, file_google_protobuf_descriptor.proto, auditFile].map((file) => [file.name, file]),
);

type Response = {
  validHost: string;
  originalRequest: Record<string, unknown>;
  messageResponse: string;
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  allExtensionNumbersResponse?: { baseTypeName: string; extensionNumber: number[] };
  listServicesResponse?: { service: { name: string }[] };
  errorResponse?: { errorCode: number; errorMessage: string };
};

function reflectionClient(
  version: 'v1' | 'v1alpha',
  target: string,
): grpc.Client & { serverReflectionInfo(): grpc.ClientDuplexStream<object, Response> } {
  const definition = loadSync(join(reflectionProtoRoot, `grpc/reflection/${version}/reflection.proto`), {
    includeDirs: [reflectionProtoRoot],
    oneofs: true,
    arrays: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  return new loaded.grpc.reflection[version]!.ServerReflection(target, grpc.credentials.createInsecure()) as never;
}

/** Sends `requests` on one stream and collects the answers, in order. */
async function ask(version: 'v1' | 'v1alpha', target: string, requests: object[]): Promise<Response[]> {
  const client = reflectionClient(version, target);
  try {
    const call = client.serverReflectionInfo();
    const responses: Response[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (response: Response) => responses.push(response));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (const request of requests) call.write(request);
    call.end();
    await done;
    return responses;
  } finally {
    client.close();
  }
}

/** The names of the files in a response, after checking each is byte-for-byte the set's file. */
function servedFiles(response: Response | undefined): string[] {
  assert.equal(response?.errorResponse, undefined, response?.errorResponse?.errorMessage);
  const files = response?.fileDescriptorResponse?.fileDescriptorProto ?? [];
  return files.map((bytes) => {
    const served = fromBinary(FileDescriptorProtoSchema, bytes);
    const original = setFiles.get(served.name);
    assert.ok(original !== undefined, `${served.name} is in the set`);
    assert.ok(equals(FileDescriptorProtoSchema, served, original), `${served.name} is served as the set holds it`);
    return served.name;
  });
}

for (const version of ['v1', 'v1alpha'] as const) {
  describe(`reflection ${version}: transitive descriptors`, () => {
    let greeter: RunningGreeter;
    before(async () => {
      greeter = await startGreeter({
        services: [
          { definition: GreeterServiceService, implementation: {} },
          { definition: UserServiceService, implementation: {} },
        ],
        descriptorSet: withExtension,
      });
    });
    after(async () => {
      await greeter.grpc.shutdown(1000);
    });

    test('file_by_filename serves the file and every file it imports', async () => {
      const [users, status, timestamp] = await ask(version, greeter.target, [
        { fileByFilename: 'flotilla/users/v1/users.proto' },
        { fileByFilename: 'google/rpc/status.proto' },
        { fileByFilename: 'google/protobuf/timestamp.proto' },
      ]);
      assert.deepEqual(servedFiles(users), ['flotilla/users/v1/users.proto', 'google/protobuf/timestamp.proto']);
      assert.deepEqual(servedFiles(status), ['google/rpc/status.proto', 'google/protobuf/any.proto']);
      assert.deepEqual(servedFiles(timestamp), ['google/protobuf/timestamp.proto']);
    });

    test('file_containing_symbol finds services, methods, messages, nested messages, fields, enums and their values', async () => {
      const symbols: [string, string[]][] = [
        ['flotilla.users.v1.UserService', ['flotilla/users/v1/users.proto', 'google/protobuf/timestamp.proto']],
        ['flotilla.users.v1.UserService.GetUser', ['flotilla/users/v1/users.proto', 'google/protobuf/timestamp.proto']],
        ['flotilla.users.v1.User.email', ['flotilla/users/v1/users.proto', 'google/protobuf/timestamp.proto']],
        ['flotilla.orders.v1.OrderStatus', ['flotilla/orders/v1/orders.proto', 'google/protobuf/timestamp.proto']],
        ['flotilla.orders.v1.ORDER_STATUS_PAID', ['flotilla/orders/v1/orders.proto', 'google/protobuf/timestamp.proto']],
        ['google.protobuf.Timestamp', ['google/protobuf/timestamp.proto']],
        ['google.rpc.Status', ['google/rpc/status.proto', 'google/protobuf/any.proto']],
        ['google.rpc.BadRequest.FieldViolation', ['google/rpc/error_details.proto']],
        ['grpc.health.v1.Health', ['grpc/health/v1/health.proto']],
      ];
      const responses = await ask(
        version,
        greeter.target,
        symbols.map(([symbol]) => ({ fileContainingSymbol: symbol })),
      );
      for (const [i, [symbol, files]] of symbols.entries()) assert.deepEqual(servedFiles(responses[i]), files, symbol);
    });

    test('file_containing_extension and all_extension_numbers_of_type find extensions by their extendee', async () => {
      const [extension, numbers, none] = await ask(version, greeter.target, [
        { fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 50_001 } },
        { allExtensionNumbersOfType: 'google.protobuf.MethodOptions' },
        { allExtensionNumbersOfType: 'flotilla.users.v1.User' },
      ]);
      assert.deepEqual(servedFiles(extension), ['flotilla/test/v1/audit.proto', 'google/protobuf/descriptor.proto']);
      assert.deepEqual(numbers?.allExtensionNumbersResponse, { baseTypeName: 'google.protobuf.MethodOptions', extensionNumber: [50_001] });
      assert.deepEqual(none?.allExtensionNumbersResponse, { baseTypeName: 'flotilla.users.v1.User', extensionNumber: [] });
    });

    test('what the set does not hold is NOT_FOUND, in the stream, which stays open', async () => {
      const responses = await ask(version, greeter.target, [
        { fileByFilename: 'no/such.proto' },
        { fileContainingSymbol: 'no.such.Symbol' },
        { fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 7 } },
        { allExtensionNumbersOfType: 'no.such.Message' },
        { listServices: '*' },
      ]);
      for (const response of responses.slice(0, 4)) {
        assert.equal(response.errorResponse?.errorCode, grpc.status.NOT_FOUND, JSON.stringify(response.originalRequest));
      }
      assert.deepEqual(
        responses[4]?.listServicesResponse?.service.map((s) => s.name),
        ['flotilla.greeter.v1.GreeterService', 'flotilla.users.v1.UserService', 'grpc.health.v1.Health'],
      );
    });

    test('the host and the original request are echoed', async () => {
      const [response] = await ask(version, greeter.target, [
        { host: 'users.internal', fileContainingSymbol: 'google.protobuf.Timestamp' },
      ]);
      assert.equal(response?.validHost, 'users.internal');
      assert.equal(response?.originalRequest.fileContainingSymbol, 'google.protobuf.Timestamp');
      assert.equal(response?.originalRequest.host, 'users.internal');
    });
  });
}

describe('a descriptor set reflection cannot serve is refused when the server is made', () => {
  const logger = pino({ level: 'silent' });
  const only = (...names: string[]): Uint8Array =>
    toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: contracts.filter((file) => names.includes(file.name)) }));

  test('a file whose import is missing', () => {
    assert.throws(
      () =>
        createGrpcServer({
          logger,
          services: [{ definition: UserServiceService, implementation: {} }],
          descriptorSet: only('flotilla/users/v1/users.proto', 'grpc/health/v1/health.proto'),
        }),
      /lacks google\/protobuf\/timestamp\.proto, imported by flotilla\/users\/v1\/users\.proto/,
    );
  });

  test('a registered service the set does not describe', () => {
    assert.throws(
      () =>
        createGrpcServer({
          logger,
          services: [{ definition: UserServiceService, implementation: {} }],
          descriptorSet: only('flotilla/greeter/v1/greeter.proto', 'grpc/health/v1/health.proto'),
        }),
      /does not describe flotilla\.users\.v1\.UserService/,
    );
  });
});
