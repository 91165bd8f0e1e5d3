/**
 * `flotilla dev` collects every process's spans itself: a request through the
 * gateway shows in `flotilla traces` as one trace across the gateway and the
 * services, and `flotilla traces <id>` draws it as a waterfall.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, runCli, startDev } from '@flotilla/testing';

interface Listed {
  traceId: string;
  root: string;
  services: string[];
  spans: number;
}

test('a request through the gateway is one trace across the processes, listed and drawn by flotilla traces', async (t) => {
  const run = await startDev();
  t.after(() => run.cleanup());
  await run.printed(/Ctrl-C stops everything\./);
  assert.match(run.output(), /npx flotilla traces/, 'the banner names the command');
  const env = { FLOTILLA_DEV_TRACES_PORT: String(run.ports['dev.traces']) };

  const gateway = `http://127.0.0.1:${run.ports['gateway.http']}`;
  const users = (await (await fetch(`${gateway}/api/users?limit=1`)).json()) as { items: Array<{ id: string }> };
  const id = users.items[0]?.id as string;
  const profile = await fetch(`${gateway}/api/users/${id}/profile`);
  assert.equal(profile.status, 200);
  await profile.arrayBuffer();

  const trace = await eventually(
    async () => {
      const listed = await runCli(['traces', '--json'], { env });
      assert.equal(listed.code, 0, listed.stderr);
      const { traces } = JSON.parse(listed.stdout) as { traces: Listed[] };
      return traces.find((t) => t.root.includes('/profile') && ['gateway', 'users', 'orders'].every((s) => t.services.includes(s)));
    },
    { timeoutMs: 20_000, message: 'the profile request as one trace of gateway, users and orders' },
  );

  const table = await runCli(['traces'], { env });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^TRACE ID +STARTED +DURATION +SPANS +SERVICES +ROOT/m);
  assert.ok(table.stdout.includes(trace.traceId));

  const drawn = await runCli(['traces', trace.traceId], { env });
  assert.equal(drawn.code, 0, drawn.stderr);
  const lines = drawn.stdout.trim().split('\n');
  assert.match(lines[0] as string, new RegExp(`^trace ${trace.traceId}: ${trace.spans} spans, [\\d.]+ ms$`));
  assert.match(lines[1] as string, /^gateway server GET \/api\/users\/.*█/, 'the root first, with its bar');
  assert.ok(
    lines.some((l) => /^ +users server /.test(l)),
    'the users service, indented under the gateway',
  );
  assert.ok(
    lines.some((l) => /^ +orders server /.test(l)),
    'the orders service too',
  );

  const unknown = await runCli(['traces', '0'.repeat(32)], { env });
  assert.equal(unknown.code, 2, 'an unknown trace is not found');
  const malformed = await runCli(['traces', 'not-a-trace'], { env });
  assert.equal(malformed.code, 1, 'a malformed id is a usage error');
});

test('flotilla traces without a collector says so and exits 5', async () => {
  const result = await runCli(['traces', '--url', 'http://127.0.0.1:1']);
  assert.equal(result.code, 5);
  assert.match(result.stderr, /no trace collector at http:\/\/127\.0\.0\.1:1 .*is flotilla dev running\?/);
});
