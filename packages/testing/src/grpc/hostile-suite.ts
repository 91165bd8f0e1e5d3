/**
 * The hostile-input checks every Flotilla gRPC server must pass, run against
 * one unary method of a running server: each bad call gets a definite status
 * (never UNKNOWN), changes nothing, and the server answers a normal call
 * afterwards. Used by this package's tests (the test greeter) and by each
 * service's grpc-hostile.test.ts (the real services).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MALFORMED_REQUEST_MESSAGE } from '@flotilla/grpc';
import { http2Call, rawUnary, type RawOutcome } from './raw-grpc.ts';

export interface HostileTarget {
  /** host:port of the server under test. */
  target: string;
  /** A unary method whose empty request is invalid, e.g. "/flotilla.users.v1.UserService/CreateUser". */
  path: string;
  /** A fresh request that `path` accepts, encoded. */
  validRequest(): Buffer;
  /** The effects of `path` so far (rows written, greetings made): refused calls must add none. */
  effects(): Promise<number>;
  stop(): Promise<void>;
}

/** gRPC's default receive limit, which the servers keep. */
export const MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

/** Bytes that are not a protobuf message at all. */
export const UNDECODABLE_MESSAGES: Record<string, Buffer> = {
  'a length-delimited field longer than the message': Buffer.from([0x0a, 0x7f, 0x41]),
  'a varint that never ends': Buffer.from([0x08, ...Array<number>(10).fill(0xff)]),
  'wire type 7, which does not exist': Buffer.from([0x0f, 0x00]),
  'wire type 6, which does not exist': Buffer.from([0x0e, 0x00]),
  'a group that is never closed': Buffer.from([0x0b, 0x10, 0x01]),
  'a tag cut off in the middle': Buffer.from([0x80]),
};

/** Field 1 (a string in every request used here) sent with another wire type: skipped as unknown. */
export const WRONG_WIRE_TYPES: Record<string, Buffer> = {
  'field 1 as a varint': Buffer.from([0x08, 0x2a]),
  'field 1 as fixed64': Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7, 8]),
  'field 1 as fixed32': Buffer.from([0x0d, 1, 2, 3, 4]),
};

function varint(value: number): number[] {
  const bytes: number[] = [];
  for (let rest = value; ; rest >>>= 7) {
    if (rest < 0x80) return [...bytes, rest];
    bytes.push((rest & 0x7f) | 0x80);
  }
}

function assertStatus(outcome: RawOutcome, code: grpc.status, what: string): void {
  assert.equal(
    grpc.status[outcome.code],
    grpc.status[code],
    `${what}: expected ${grpc.status[code]}, got ${grpc.status[outcome.code]} "${outcome.details}"`,
  );
}

export function describeHostileInput(name: string, start: () => Promise<HostileTarget>): void {
  describe(`${name}: hostile gRPC input`, () => {
    let server: HostileTarget;
    let client: grpc.Client;
    before(async () => {
      server = await start();
      client = new grpc.Client(server.target, grpc.credentials.createInsecure());
    });
    after(async () => {
      client?.close();
      await server?.stop();
    });

    const servesNormally = async (): Promise<void> => {
      const outcome = await rawUnary(client, server.path, server.validRequest());
      assertStatus(outcome, grpc.status.OK, 'a normal call afterwards');
    };

    /** Runs `hostile`, checks that it changed nothing, and that the server still serves. */
    const unchanged = async (hostile: () => Promise<void>): Promise<void> => {
      const before = await server.effects();
      await hostile();
      assert.equal(await server.effects(), before, 'a refused call must change nothing');
      await servesNormally();
    };

    test('bytes that are not a protobuf message are INVALID_ARGUMENT and never reach the handler', async () => {
      for (const [what, bytes] of Object.entries(UNDECODABLE_MESSAGES)) {
        await unchanged(async () => {
          const outcome = await rawUnary(client, server.path, bytes);
          assertStatus(outcome, grpc.status.INVALID_ARGUMENT, what);
          assert.equal(outcome.details, MALFORMED_REQUEST_MESSAGE, what);
        });
      }
    });

    test('fields with the wrong wire type are skipped as unknown; the empty request left is INVALID_ARGUMENT', async () => {
      for (const [what, bytes] of Object.entries(WRONG_WIRE_TYPES)) {
        await unchanged(async () => {
          assertStatus(await rawUnary(client, server.path, bytes), grpc.status.INVALID_ARGUMENT, what);
        });
      }
    });

    test('a message over the receive limit is RESOURCE_EXHAUSTED', async () => {
      // Field 1, length-delimited, one byte more than the limit allows.
      const length = MAX_RECEIVE_BYTES + 1;
      const oversize = Buffer.concat([Buffer.from([0x0a, ...varint(length)]), Buffer.alloc(length, 0x61)]);
      await unchanged(async () => {
        const outcome = await rawUnary(client, server.path, oversize);
        assertStatus(outcome, grpc.status.RESOURCE_EXHAUSTED, 'a message over 4 MiB');
      });
    });

    test('an unknown method and an unknown service are UNIMPLEMENTED', async () => {
      const service = server.path.split('/')[1];
      await unchanged(async () => {
        assertStatus(await rawUnary(client, `/${service}/NoSuchMethod`, Buffer.alloc(0)), grpc.status.UNIMPLEMENTED, 'unknown method');
        assertStatus(await rawUnary(client, '/no.such.v1.Service/Method', Buffer.alloc(0)), grpc.status.UNIMPLEMENTED, 'unknown service');
      });
    });

    test('metadata over the limit is RESOURCE_EXHAUSTED, whether one huge value or too many entries', async () => {
      await unchanged(async () => {
        const big = new grpc.Metadata();
        big.set('x-padding', 'a'.repeat(32 * 1024));
        const outcome = await rawUnary(client, server.path, server.validRequest(), { metadata: big });
        assertStatus(outcome, grpc.status.RESOURCE_EXHAUSTED, '32 KiB of metadata');
        assert.match(outcome.details, /Request metadata of \d+ bytes is over the limit of 16384/);
      });
      await unchanged(async () => {
        // Node's HTTP/2 server takes 128 header fields; it resets the stream with ENHANCE_YOUR_CALM.
        const many = new grpc.Metadata();
        for (let i = 0; i < 200; i++) many.set(`x-entry-${i}`, 'v');
        const outcome = await rawUnary(client, server.path, server.validRequest(), { metadata: many });
        assertStatus(outcome, grpc.status.RESOURCE_EXHAUSTED, '200 metadata entries');
      });
    });

    test('a header too large for HTTP/2 itself costs the connection, not the server', async () => {
      // 1 MiB in one header overflows the HPACK decoder: the HTTP/2 layer closes
      // the connection (GOAWAY COMPRESSION_ERROR) before gRPC sees the call, and
      // grpc-js reports the reset as INTERNAL. A connection of its own, then.
      const own = new grpc.Client(server.target, grpc.credentials.createInsecure());
      try {
        await unchanged(async () => {
          const huge = new grpc.Metadata();
          huge.set('x-padding', 'a'.repeat(1024 * 1024));
          const outcome = await rawUnary(own, server.path, server.validRequest(), { metadata: huge });
          assertStatus(outcome, grpc.status.INTERNAL, '1 MiB of metadata');
          assert.match(outcome.details, /RST_STREAM with code 9/);
        });
      } finally {
        own.close();
      }
    });

    test('a deadline of 0 or one already past is DEADLINE_EXCEEDED', async () => {
      for (const [what, deadline] of [
        ['a deadline of 0', 0],
        ['a deadline a minute ago', Date.now() - 60_000],
      ] as const) {
        await unchanged(async () => {
          assertStatus(await rawUnary(client, server.path, server.validRequest(), { deadline }), grpc.status.DEADLINE_EXCEEDED, what);
        });
      }
    });

    test('a grpc-timeout of 0 on the wire is answered DEADLINE_EXCEEDED by the server, without running the handler', async () => {
      // grpc-timeout is relative: a client whose deadline has passed sends 0 (grpc-js does).
      for (const timeout of ['0n', '0m', '0S']) {
        await unchanged(async () => {
          const outcome = await http2Call(server.target, server.path, server.validRequest(), { 'grpc-timeout': timeout });
          assert.equal(outcome.grpcStatus, grpc.status.DEADLINE_EXCEEDED, `grpc-timeout ${timeout}: ${outcome.grpcMessage}`);
        });
      }
    });
  });
}
