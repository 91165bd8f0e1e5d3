import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GreeterServiceClient } from '@flotilla/contracts/greeter';
import { repoRoot } from '@flotilla/testing';
import { FlotillaError } from '@flotilla/core';
import { ChannelPool, createGrpcClient } from '../../src/index.ts';
import { startGreeter } from '@flotilla/testing';

describe('graceful shutdown (in process)', () => {
  test('an in-flight call finishes, then the server stops taking calls', { timeout: 20_000 }, async () => {
    const greeter = await startGreeter();
    const pool = new ChannelPool();
    try {
      const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
      const inFlight = client.sayHello({ name: 'slow:300' });
      await greeter.probe.slowStarted.promise;
      const result = await greeter.grpc.shutdown(10_000);
      assert.deepEqual(result, { forced: false });
      assert.equal((await inFlight).message, 'Finally, hello!');
      await assert.rejects(client.sayHello({ name: 'late' }), (e: unknown) => e instanceof FlotillaError && e.code === 'unavailable');
    } finally {
      pool.closeAll();
    }
  });

  test('calls still running at the timeout are cancelled', { timeout: 20_000 }, async () => {
    const greeter = await startGreeter();
    const pool = new ChannelPool();
    try {
      const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
      const inFlight = client.sayHello({ name: 'slow:60000' }).catch((error: unknown) => error);
      await greeter.probe.slowStarted.promise;
      assert.deepEqual(await greeter.grpc.shutdown(100), { forced: true });
      const failure = await inFlight;
      assert.ok(failure instanceof FlotillaError && failure.code === 'unavailable', String(failure));
    } finally {
      pool.closeAll();
    }
  });
});

describe('graceful shutdown (child process)', () => {
  test('SIGTERM lets the in-flight call finish and the process exits cleanly', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--conditions=@flotilla/source', join(import.meta.dirname, 'fixtures', 'greeter-server.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const messages: Record<string, unknown>[] = [];
    const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      messages.push(message);
      for (const waiter of [...waiters]) if (waiter.match(message)) waiter.resolve(message);
    });
    // 'close', not 'exit': every line the process printed has been read by then.
    const exited = once(child, 'close');
    const next = (match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      const seen = messages.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve })),
        exited.then(() => {
          throw new Error(`the server process exited early: ${stderr}`);
        }),
      ]);
    };

    const pool = new ChannelPool();
    try {
      const { port } = (await next((m) => 'port' in m)) as { port: number };
      const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => `127.0.0.1:${port}` });
      assert.equal((await client.sayHello({ name: 'child' })).message, 'Hello, child!');

      const inFlight = client.sayHello({ name: 'slow:500' });
      await next((m) => m.event === 'slow-started');
      child.kill('SIGTERM');
      assert.equal((await inFlight).message, 'Finally, hello!');
      const { shutdown } = (await next((m) => 'shutdown' in m)) as { shutdown: { forced: boolean } };
      assert.equal(shutdown.forced, false);
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, stderr);
    } finally {
      pool.closeAll();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
