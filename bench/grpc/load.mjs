// The load generator: `concurrency` loops of unary GetUser calls for `seconds`,
// rotating over the given ids; prints {calls, errors, seconds} as JSON.
import * as grpc from '@grpc/grpc-js';
import { UserServiceClient } from '../../packages/contracts/dist/users.js';

const [target, seconds, concurrency, idsJson] = process.argv.slice(2);
const ids = JSON.parse(idsJson);
const client = new UserServiceClient(target, grpc.credentials.createInsecure());
const call = (id) => new Promise((resolve) => client.getUser({ id }, (error) => resolve(error === null)));

async function run(durationMs) {
  let calls = 0;
  let errors = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async (_, worker) => {
      let i = worker;
      while (performance.now() < end) {
        const ok = await call(ids[i++ % ids.length]);
        calls += 1;
        if (!ok) errors += 1;
      }
    }),
  );
  return { calls, errors };
}

await run(2000); // warm-up: connections, JIT
process.stdout.write('measuring\n');
const started = performance.now();
const result = await run(Number(seconds) * 1000);
process.stdout.write(`${JSON.stringify({ ...result, seconds: (performance.now() - started) / 1000 })}\n`);
client.close();
