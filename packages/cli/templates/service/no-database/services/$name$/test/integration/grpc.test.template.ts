// #if grpc
/** $Name$Service over gRPC through the generated client. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { $Name$ServiceClient } from '@flotilla/contracts/$name$';
import { createGrpcClient, type GrpcClient } from '@flotilla/grpc';
import { ValidationError } from '@flotilla/kit';
import { start$Name$, type $Name$UnderTest } from './support/running.ts';

let svc: $Name$UnderTest;
let client: GrpcClient<$Name$ServiceClient>;
before(async () => {
  svc = await start$Name$();
  client = createGrpcClient($Name$ServiceClient, '$name$', { resolve: () => svc.grpcAddress });
});
after(() => svc?.stop());

test('SayHello answers like the REST route; a blank name is INVALID_ARGUMENT', async () => {
  assert.deepEqual(await client.sayHello({ name: 'Grace' }), { message: 'Hello, Grace!' });
  await assert.rejects(client.sayHello({ name: '' }), ValidationError);
});
// #endif
