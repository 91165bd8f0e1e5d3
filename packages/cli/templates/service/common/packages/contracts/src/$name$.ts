// #if grpc
// flotilla.$name_proto$.v1: $Name$ServiceService (definition), $Name$ServiceClient, $Name$ServiceServer, messages.
export * from './gen/flotilla/$name_proto$/v1/$name_proto$.ts';
// #endif
