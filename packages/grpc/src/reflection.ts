/**
 * Server reflection (grpc.reflection.v1 and v1alpha, via @grpc/reflection),
 * described by a binary FileDescriptorSet such as the one @flotilla/contracts
 * exports (`descriptorSet` from '@flotilla/contracts/descriptor-set').
 */
import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** Registers reflection for `serviceNames` (fully qualified), described by `descriptorSet`. */
export function addReflection(server: Pick<Server, 'addService'>, descriptorSet: Uint8Array, serviceNames: readonly string[]): void {
  const packageDefinition = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSet));
  new ReflectionService(packageDefinition, { services: [...serviceNames] }).addToServer(server);
}
