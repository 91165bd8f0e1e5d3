// The binary FileDescriptorSet of every contract, for server reflection and
// for loading the contracts at run time with @grpc/proto-loader.
export { descriptorSet } from './gen/descriptor-set.ts';
