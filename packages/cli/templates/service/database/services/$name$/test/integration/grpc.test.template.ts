// #if grpc
/** $Name$Service over gRPC: the generated client, the same data as the REST API. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { $Name$ServiceClient } from '@flotilla/contracts/$name$';
import { createGrpcClient, type GrpcClient } from '@flotilla/grpc';
import { NotFoundError, ValidationError } from '@flotilla/kit';
import { testDialects } from '@flotilla/testing';
import { start$Name$, type $Name$UnderTest } from './support/running.ts';

for (const dialect of testDialects()) {
  describe(`$name$ gRPC on ${dialect}`, () => {
    let svc: $Name$UnderTest;
    let client: GrpcClient<$Name$ServiceClient>;
    before(async () => {
      svc = await start$Name$(dialect);
      client = createGrpcClient($Name$ServiceClient, '$name$', { resolve: () => svc.grpcAddress });
    });
    after(() => svc?.stop());

    test('CreateItem then GetItem, and the REST API sees the same item', async () => {
      const { item } = await client.createItem({ name: ' Over gRPC ' });
      assert.ok(item);
      assert.equal(item.name, 'Over gRPC');
      assert.ok(item.createTime instanceof Date);
      assert.deepEqual((await client.getItem({ id: item.id })).item, item);
      const rest = (await (await fetch(`${svc.base}/$name$/items/${item.id}`)).json()) as { name: string; version: number };
      assert.deepEqual(rest, { ...rest, name: 'Over gRPC', version: 1 });
    });

    test('errors map to gRPC statuses and back to domain errors', async () => {
      await assert.rejects(client.getItem({ id: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69' }), NotFoundError);
      await assert.rejects(
        client.getItem({ id: 'nope' }),
        (error: unknown) => error instanceof ValidationError && error.violations[0]?.field === 'id',
      );
      await assert.rejects(client.createItem({ name: '' }), ValidationError);
    });
  });
}
// #endif
