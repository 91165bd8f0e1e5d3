/**
 * `/admin/config-centre/*` on a real gateway over a real config centre (the
 * file backend, and etcd from the harness when it runs): the gateway's own
 * document is read, checked against the schema it published, changed with
 * compare-and-set (and the running gateway applies the change), diffed and
 * rolled back; an invalid or stale change stores nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, testBackends } from '@flotilla/testing';
import { ADMIN_KEY_HEADERS, type AdminGateway, call, startAdminGateway } from './admin-gateway.ts';

const backends = testBackends().filter((backend) => backend !== 'kubernetes');

for (const backend of backends) {
  describe(`the config centre admin API (${backend} backend)`, () => {
    let gateway: AdminGateway;
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      call(`${gateway.url}/admin/config-centre${path}`, { ...init, headers: ADMIN_KEY_HEADERS });
    const level = async () => (await call(`${gateway.url}/admin/log-level`, { headers: ADMIN_KEY_HEADERS })).body.level;

    before(async () => {
      gateway = await startAdminGateway({ backend, yaml: '# the routes come later\nroutes: []\n' });
    });
    after(() => gateway?.stop());

    test('namespaces, and the documents of one with their head versions', async () => {
      const namespaces = await api('/namespaces');
      assert.equal(namespaces.status, 200);
      assert.ok((namespaces.body.namespaces as string[]).includes('test'));
      const listed = await api('/test');
      assert.equal(listed.status, 200);
      assert.equal(listed.body.namespace, 'test');
      const entry = (listed.body.services as Array<Record<string, unknown>>).find((s) => s.service === 'gateway');
      assert.equal(entry?.version, 1);
      assert.equal(typeof entry?.author, 'string');
      assert.ok(Date.parse(entry?.updatedAt as string) > 0);
      assert.deepEqual((await api('/empty-namespace')).body, { namespace: 'empty-namespace', services: [] });
    });

    test('a document: data, the text as stored, and the schema its service published', async () => {
      const answer = await api('/test/gateway');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.service, 'gateway');
      assert.equal(answer.body.version, 1);
      assert.equal(answer.body.text, gateway.gatewayText);
      assert.deepEqual((answer.body.document as Record<string, unknown>).routes, []);
      const schema = answer.body.schema as { type?: string; properties?: Record<string, unknown> };
      assert.equal(schema.type, 'object');
      assert.ok(schema.properties?.routes !== undefined, 'the gateway config schema');
      assert.equal((await api('/test/nothing-here')).status, 404);
      assert.equal((await api('/Not_A_Name/gateway')).status, 400);
    });

    test('validate: a good document is valid; a bad one lists each problem by JSON Pointer; nothing is stored', async () => {
      const { document } = (await api('/test/gateway')).body as { document: Record<string, unknown> };
      assert.deepEqual((await api('/test/gateway/validate', { method: 'POST', body: { document } })).body, { valid: true });
      const bad = {
        ...document,
        rateLimit: { policies: { api: { limit: -5, windowSeconds: 1 } } },
        nonsense: true,
      };
      const answer = await api('/test/gateway/validate', { method: 'POST', body: { document: bad } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.valid, false);
      const paths = (answer.body.errors as Array<{ path: string; message: string }>).map((e) => e.path);
      assert.ok(paths.includes('/rateLimit/policies/api/limit'), JSON.stringify(answer.body.errors));
      assert.ok(paths.includes('/nonsense'), JSON.stringify(answer.body.errors));
      const syntax = await api('/test/gateway/validate', { method: 'POST', body: { text: 'routes: [\n' } });
      assert.equal(syntax.body.valid, false);
      assert.equal((syntax.body.errors as Array<{ path: string }>)[0]?.path, '');
      assert.equal((await gateway.store.history('test', 'gateway')).length, 1);
    });

    test('a change is stored with compare-and-set, its author is the caller, comments stay, and the gateway applies it', async () => {
      const before = (await api('/test/gateway')).body as { document: { log: { level: string } }; version: number };
      assert.equal(await level(), 'info');
      const document = { ...before.document, log: { ...before.document.log, level: 'debug' } };
      const put = await api('/test/gateway', {
        method: 'PUT',
        body: { document, message: 'more detail', expectedVersion: before.version },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body, { version: 2 });
      const head = await gateway.store.get('test', 'gateway');
      assert.equal(head.author, 'test-admin');
      assert.equal(head.message, 'more detail');
      assert.match(head.text, /# the routes come later/);
      assert.equal(head.text, gateway.gatewayText.replace('level: info', 'level: debug'));
      await eventually(async () => (await level()) === 'debug', { message: 'the running gateway applies the new log.level' });

      const history = await api('/test/gateway/history');
      const entries = history.body.entries as Array<Record<string, unknown>>;
      assert.deepEqual(
        entries.map((e) => [e.version, e.author, e.message]),
        [
          [2, 'test-admin', 'more detail'],
          [1, entries[1]?.author, entries[1]?.message],
        ],
      );
    });

    test('an invalid change is 422 with the schema errors, and nothing changes', async () => {
      const head = await gateway.store.get('test', 'gateway');
      const { document } = (await api('/test/gateway')).body as { document: Record<string, unknown> };
      const refused = await api('/test/gateway', {
        method: 'PUT',
        body: { document: { ...document, log: { level: 'loud' } }, expectedVersion: head.version },
      });
      assert.equal(refused.status, 422);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(refused.body.type, 'https://flotilla.dev/problems/unprocessable');
      assert.deepEqual(
        (refused.body.errors as Array<{ path: string }>).map((e) => e.path),
        ['/log/level'],
      );
      const after = await gateway.store.get('test', 'gateway');
      assert.equal(after.version, head.version);
      assert.equal(after.text, head.text);
      assert.equal(await level(), 'debug');
      const both = await api('/test/gateway', { method: 'PUT', body: { document, text: 'a: 1\n', expectedVersion: head.version } });
      assert.equal(both.status, 400, 'document and text at once');
    });

    test('a stale expectedVersion is 409 and stores nothing', async () => {
      const head = await gateway.store.get('test', 'gateway');
      const stale = await api('/test/gateway', { method: 'PUT', body: { text: head.text, expectedVersion: head.version - 1 } });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.type, 'https://flotilla.dev/problems/conflict');
      assert.equal(stale.body.actualVersion, head.version);
      assert.equal((await gateway.store.get('test', 'gateway')).version, head.version);
    });

    test('one version, and the diff between two (by default the head and the one before)', async () => {
      const first = await api('/test/gateway/versions/1');
      assert.equal(first.status, 200);
      assert.equal(first.body.text, gateway.gatewayText);
      assert.equal((await api('/test/gateway/versions/99')).status, 404);
      assert.equal((await api('/test/gateway/versions/0')).status, 400);

      const diff = await api('/test/gateway/diff');
      assert.equal(diff.status, 200);
      assert.equal(diff.body.from, 1);
      assert.equal(diff.body.to, 2);
      assert.match(diff.body.unified as string, /^-log: \{ level: info \}$/m);
      assert.match(diff.body.unified as string, /^\+log: \{ level: debug \}$/m);
      const fromEmpty = await api('/test/gateway/diff?from=0&to=1');
      assert.match(fromEmpty.body.unified as string, /^\+# the routes come later$/m);
      assert.equal((await api('/test/gateway/diff?from=abc')).status, 400);
    });

    test('a rollback stores a new version with the old content, and the gateway follows', async () => {
      const rolled = await api('/test/gateway/rollback', { method: 'POST', body: { version: 1, message: 'back to info' } });
      assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
      assert.deepEqual(rolled.body, { version: 3 });
      const head = await gateway.store.get('test', 'gateway');
      assert.equal(head.text, gateway.gatewayText);
      assert.equal(head.rollbackOf, 1);
      assert.equal(head.author, 'test-admin');
      const entries = (await api('/test/gateway/history')).body.entries as Array<Record<string, unknown>>;
      assert.equal(entries[0]?.rollbackOf, 1);
      await eventually(async () => (await level()) === 'info', { message: 'the rollback applied' });
      assert.equal((await api('/test/gateway/rollback', { method: 'POST', body: { version: 42 } })).status, 404);
      assert.equal((await api('/test/gateway/rollback', { method: 'POST', body: { version: 1, expectedVersion: 1 } })).status, 409);
    });

    test('a new document is created with expectedVersion 0, as text kept exactly', async () => {
      const text = '# the greeter in test\nlog: { level: warn }  # quiet\n';
      const created = await api('/test/greeter', { method: 'PUT', body: { text, expectedVersion: 0 } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal((await gateway.store.get('test', 'greeter')).text, text);
      const again = await api('/test/greeter', { method: 'PUT', body: { text, expectedVersion: 0 } });
      assert.equal(again.status, 409);
    });

    test('without an admin credential, nothing', async () => {
      assert.equal((await call(`${gateway.url}/admin/config-centre/namespaces`)).status, 401);
      assert.equal(
        (await call(`${gateway.url}/admin/config-centre/test/gateway`, { method: 'PUT', body: { text: 'a: 1', expectedVersion: 3 } }))
          .status,
        401,
      );
    });
  });
}
