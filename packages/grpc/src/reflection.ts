/**
 * Server reflection, grpc.reflection.v1 and v1alpha (the same messages, two
 * package names), described by a binary FileDescriptorSet such as the one
 * @flotilla/contracts exports (`descriptorSet` from
 * '@flotilla/contracts/descriptor-set'). Every answer carries the file asked
 * for and all the files it imports, transitively, as the set holds them, so a
 * client given nothing but the address can resolve every type
 * (google.protobuf.Timestamp included). Why this is not @grpc/reflection:
 * packages/grpc/README.md, "Reflection".
 */
import {
  type MethodDefinition,
  type Server,
  type ServerDuplexStream,
  type ServiceDefinition,
  status as Status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { DescriptorIndex } from './descriptor-index.ts';
import { decodeReflectionRequest, encodeReflectionResponse, type ReflectionAnswer, type ReflectionRequest } from './reflection-wire.ts';

export const REFLECTION_SERVICE_NAMES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

function definitionFor(serviceName: string): ServiceDefinition {
  // Responses travel encoded (encodeReflectionResponse); the serializers pass bytes through.
  const method: MethodDefinition<ReflectionRequest, Buffer> = {
    path: `/${serviceName}/ServerReflectionInfo`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (request: ReflectionRequest) => Buffer.from(request.raw),
    requestDeserialize: decodeReflectionRequest,
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
    originalName: 'serverReflectionInfo',
  };
  return { ServerReflectionInfo: method } as ServiceDefinition;
}

function filesOrNotFound(files: Uint8Array[] | undefined, what: string): ReflectionAnswer {
  return files === undefined ? { kind: 'error', code: Status.NOT_FOUND, message: `${what} not found` } : { kind: 'files', files };
}

function answer(index: DescriptorIndex, listed: readonly string[], request: ReflectionRequest): ReflectionAnswer {
  const query = request.query;
  switch (query.kind) {
    case 'listServices':
      return { kind: 'services', names: listed };
    case 'fileByFilename':
      return filesOrNotFound(index.fileByFilename(query.name), `File "${query.name}"`);
    case 'fileContainingSymbol':
      return filesOrNotFound(index.fileContainingSymbol(query.symbol), `Symbol "${query.symbol}"`);
    case 'fileContainingExtension':
      return filesOrNotFound(
        index.fileContainingExtension(query.containingType, query.extensionNumber),
        `Extension ${query.extensionNumber} of "${query.containingType}"`,
      );
    case 'allExtensionNumbersOfType': {
      const numbers = index.extensionNumbersOf(query.type);
      return numbers === undefined
        ? { kind: 'error', code: Status.NOT_FOUND, message: `Message type "${query.type}" not found` }
        : { kind: 'extensionNumbers', baseTypeName: query.type, numbers };
    }
    case 'none':
      return { kind: 'error', code: Status.INVALID_ARGUMENT, message: 'The request names no reflection query' };
  }
}

export interface ReflectionService {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/**
 * The reflection services (v1 and v1alpha) listing `serviceNames` (fully
 * qualified), described by `descriptorSet`. Throws when the set lacks one of
 * those services or a file that one of its files imports.
 */
export function reflectionServices(descriptorSet: Uint8Array, serviceNames: readonly string[]): ReflectionService[] {
  const index = new DescriptorIndex(descriptorSet);
  const undescribed = serviceNames.filter((name) => !index.hasService(name));
  if (undescribed.length > 0) {
    throw new Error(
      `The descriptor set does not describe ${undescribed.join(', ')}: reflection could not serve ${undescribed.length === 1 ? 'it' : 'them'}`,
    );
  }
  const listed = [...serviceNames, ...REFLECTION_SERVICE_NAMES.filter((name) => index.hasService(name))];
  const handler = (call: ServerDuplexStream<ReflectionRequest, Buffer>): void => {
    call.on('data', (request: ReflectionRequest) => call.write(encodeReflectionResponse(request, answer(index, listed, request))));
    call.on('end', () => call.end());
  };
  const implementation = { ServerReflectionInfo: handler } as UntypedServiceImplementation;
  return REFLECTION_SERVICE_NAMES.map((name) => ({ definition: definitionFor(name), implementation }));
}

/** Registers reflection (v1 and v1alpha) on a grpc-js server; `createGrpcServer({ descriptorSet })` does it for you. */
export function addReflection(server: Pick<Server, 'addService'>, descriptorSet: Uint8Array, serviceNames: readonly string[]): void {
  for (const { definition, implementation } of reflectionServices(descriptorSet, serviceNames))
    server.addService(definition, implementation);
}
