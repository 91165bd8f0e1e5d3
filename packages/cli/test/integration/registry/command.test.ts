/** `flotilla registry ls` against the local registry, with an instance registered by this test process. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalRegistry } from '@flotilla/discovery';
import { runCli } from '@flotilla/testing';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-registry-cli-'));
const registry = new LocalRegistry({ dir, namespace: 'dev' });

before(async () => {
  await registry.register({
    service: 'users',
    address: '127.0.0.1',
    ports: { http: 8081, grpc: 9081 },
    region: 'eu',
    zone: 'eu-1',
    version: '1.2.3',
    metadata: { outstanding: '4' },
  });
});
after(async () => {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

test('registry ls lists instances with zone, health and outstanding requests', async () => {
  const table = await runCli(['registry', 'ls', '--registry-dir', dir]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^SERVICE\s+ID\s+ADDRESS\s+REGION\s+ZONE\s+HEALTH\s+WEIGHT\s+OUTSTANDING\s+VERSION\n/);
  assert.match(table.stdout, /\nusers\s+users-\S+\s+127\.0\.0\.1 http:8081,grpc:9081\s+eu\s+eu-1\s+serving\s+100\s+4\s+1\.2\.3\n/);

  const json = await runCli(['registry', 'ls', 'users', '--registry-dir', dir, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const instances = JSON.parse(json.stdout) as Array<{ service: string; zone: string; health: string }>;
  assert.deepEqual(
    instances.map((i) => [i.service, i.zone, i.health]),
    [['users', 'eu-1', 'serving']],
  );
});

test('registry ls of another namespace or an unknown service lists nothing', async () => {
  const other = await runCli(['registry', 'ls', '--registry-dir', dir, '--ns', 'prod', '--json']);
  assert.deepEqual(JSON.parse(other.stdout), []);
  const none = await runCli(['registry', 'ls', 'orders', '--registry-dir', dir]);
  assert.equal(none.code, 0);
  assert.match(none.stderr, /no instances of orders/);
});

test('registry ls exits 1 on a bad backend and 5 when etcd is unreachable', async () => {
  assert.equal((await runCli(['registry', 'ls', '--backend', 'zookeeper'])).code, 1);
  const down = await runCli(['registry', 'ls', '--backend', 'etcd', '--etcd', 'http://127.0.0.1:9']);
  assert.equal(down.code, 5, down.stderr);
});
