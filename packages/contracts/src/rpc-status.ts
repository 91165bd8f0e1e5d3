// google.rpc rich errors: Status (the grpc-status-details-bin trailer), BadRequest, ErrorInfo, and Any.
export * from './gen/google/rpc/status.ts';
export * from './gen/google/rpc/error_details.ts';
export { Any } from './gen/google/protobuf/any.ts';
