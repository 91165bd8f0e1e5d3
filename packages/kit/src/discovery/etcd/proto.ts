/**
 * The part of etcd's v3 gRPC API (etcdserverpb / mvccpb, etcd 3.4+) the
 * discovery backend speaks, as a protobuf.js JSON descriptor for
 * @grpc/proto-loader. Field numbers follow etcd's api/etcdserverpb/rpc.proto
 * and api/mvccpb/kv.proto; fields we never use are left out (proto3 skips
 * unknown fields), so this is a subset, not a copy.
 */
import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;
const message = (fields: Fields) => ({ fields });
const header = { header: { type: 'ResponseHeader', id: 1 } };

const descriptor = {
  nested: {
    mvccpb: {
      nested: {
        KeyValue: message({
          key: { type: 'bytes', id: 1 },
          create_revision: { type: 'int64', id: 2 },
          mod_revision: { type: 'int64', id: 3 },
          version: { type: 'int64', id: 4 },
          value: { type: 'bytes', id: 5 },
          lease: { type: 'int64', id: 6 },
        }),
        Event: {
          fields: {
            type: { type: 'EventType', id: 1 },
            kv: { type: 'KeyValue', id: 2 },
            prev_kv: { type: 'KeyValue', id: 3 },
          },
          nested: { EventType: { values: { PUT: 0, DELETE: 1 } } },
        },
      },
    },
    etcdserverpb: {
      nested: {
        ResponseHeader: message({
          cluster_id: { type: 'uint64', id: 1 },
          member_id: { type: 'uint64', id: 2 },
          revision: { type: 'int64', id: 3 },
          raft_term: { type: 'uint64', id: 4 },
        }),
        RangeRequest: message({
          key: { type: 'bytes', id: 1 },
          range_end: { type: 'bytes', id: 2 },
          limit: { type: 'int64', id: 3 },
          revision: { type: 'int64', id: 4 },
          keys_only: { type: 'bool', id: 8 },
          count_only: { type: 'bool', id: 9 },
        }),
        RangeResponse: message({
          ...header,
          kvs: { type: 'mvccpb.KeyValue', id: 2, rule: 'repeated' },
          more: { type: 'bool', id: 3 },
          count: { type: 'int64', id: 4 },
        }),
        PutRequest: message({
          key: { type: 'bytes', id: 1 },
          value: { type: 'bytes', id: 2 },
          lease: { type: 'int64', id: 3 },
        }),
        PutResponse: message({ ...header }),
        DeleteRangeRequest: message({ key: { type: 'bytes', id: 1 }, range_end: { type: 'bytes', id: 2 } }),
        DeleteRangeResponse: message({ ...header, deleted: { type: 'int64', id: 2 } }),
        CompactionRequest: message({ revision: { type: 'int64', id: 1 }, physical: { type: 'bool', id: 2 } }),
        CompactionResponse: message({ ...header }),
        LeaseGrantRequest: message({ TTL: { type: 'int64', id: 1 }, ID: { type: 'int64', id: 2 } }),
        LeaseGrantResponse: message({
          ...header,
          ID: { type: 'int64', id: 2 },
          TTL: { type: 'int64', id: 3 },
          error: { type: 'string', id: 4 },
        }),
        LeaseRevokeRequest: message({ ID: { type: 'int64', id: 1 } }),
        LeaseRevokeResponse: message({ ...header }),
        LeaseKeepAliveRequest: message({ ID: { type: 'int64', id: 1 } }),
        LeaseKeepAliveResponse: message({ ...header, ID: { type: 'int64', id: 2 }, TTL: { type: 'int64', id: 3 } }),
        LeaseTimeToLiveRequest: message({ ID: { type: 'int64', id: 1 }, keys: { type: 'bool', id: 2 } }),
        LeaseTimeToLiveResponse: message({
          ...header,
          ID: { type: 'int64', id: 2 },
          TTL: { type: 'int64', id: 3 },
          grantedTTL: { type: 'int64', id: 4 },
        }),
        WatchRequest: {
          oneofs: { request_union: { oneof: ['create_request', 'cancel_request', 'progress_request'] } },
          fields: {
            create_request: { type: 'WatchCreateRequest', id: 1 },
            cancel_request: { type: 'WatchCancelRequest', id: 2 },
            progress_request: { type: 'WatchProgressRequest', id: 3 },
          },
        },
        WatchCreateRequest: message({
          key: { type: 'bytes', id: 1 },
          range_end: { type: 'bytes', id: 2 },
          start_revision: { type: 'int64', id: 3 },
          progress_notify: { type: 'bool', id: 4 },
          prev_kv: { type: 'bool', id: 6 },
          watch_id: { type: 'int64', id: 7 },
        }),
        WatchCancelRequest: message({ watch_id: { type: 'int64', id: 1 } }),
        WatchProgressRequest: message({}),
        WatchResponse: message({
          ...header,
          watch_id: { type: 'int64', id: 2 },
          created: { type: 'bool', id: 3 },
          canceled: { type: 'bool', id: 4 },
          compact_revision: { type: 'int64', id: 5 },
          cancel_reason: { type: 'string', id: 6 },
          events: { type: 'mvccpb.Event', id: 11, rule: 'repeated' },
        }),
        KV: {
          methods: {
            Range: { requestType: 'RangeRequest', responseType: 'RangeResponse' },
            Put: { requestType: 'PutRequest', responseType: 'PutResponse' },
            DeleteRange: { requestType: 'DeleteRangeRequest', responseType: 'DeleteRangeResponse' },
            Compact: { requestType: 'CompactionRequest', responseType: 'CompactionResponse' },
          },
        },
        Watch: {
          methods: {
            Watch: {
              requestType: 'WatchRequest',
              responseType: 'WatchResponse',
              requestStream: true,
              responseStream: true,
            },
          },
        },
        Lease: {
          methods: {
            LeaseGrant: { requestType: 'LeaseGrantRequest', responseType: 'LeaseGrantResponse' },
            LeaseRevoke: { requestType: 'LeaseRevokeRequest', responseType: 'LeaseRevokeResponse' },
            LeaseKeepAlive: {
              requestType: 'LeaseKeepAliveRequest',
              responseType: 'LeaseKeepAliveResponse',
              requestStream: true,
              responseStream: true,
            },
            LeaseTimeToLive: { requestType: 'LeaseTimeToLiveRequest', responseType: 'LeaseTimeToLiveResponse' },
          },
        },
      },
    },
  },
};

/** int64 fields as decimal strings (lease ids use all 63 bits), enums as names, absent fields as defaults. */
export const etcdPackageDefinition: PackageDefinition = fromJSON(descriptor as Parameters<typeof fromJSON>[0], {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
