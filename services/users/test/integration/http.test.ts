/** The users REST API, run once per database dialect against a real server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, startUsers, testDialects, type UsersUnderTest } from '@flotilla/testing';

interface UserBody {
  id: string;
  name: string;
  email: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

for (const dialect of testDialects()) {
  describe(`users REST on ${dialect}`, () => {
    let svc: UsersUnderTest;
    before(async () => {
      svc = await startUsers({ dialect: dialect, env: { FLOTILLA_USERS__IDEMPOTENCY__TTL_MS: '1500' } });
    });
    after(() => svc.stop());

    const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${svc.base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const create = async (name: string, email: string): Promise<UserBody> => {
      const response = await json('POST', '/users', { name, email });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as UserBody;
    };
    const countAll = async (): Promise<number> => {
      let count = 0;
      let cursor: string | null = null;
      do {
        const page = (await (await fetch(`${svc.base}/users?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`)).json()) as {
          items: unknown[];
          nextCursor: string | null;
        };
        count += page.items.length;
        cursor = page.nextCursor;
      } while (cursor !== null);
      return count;
    };

    test('POST creates: 201, Location, ETag and the stored user', async () => {
      const response = await json('POST', '/users', { name: '  Ada Lovelace  ', email: 'Ada@Example.com' });
      assert.equal(response.status, 201);
      const user = (await response.json()) as UserBody;
      assert.equal(response.headers.get('location'), `/users/${user.id}`);
      assert.equal(response.headers.get('etag'), '"1"');
      assert.equal(user.name, 'Ada Lovelace', 'name is trimmed');
      assert.equal(user.email, 'Ada@Example.com');
      assert.equal(user.version, 1);
      assert.equal(user.createdAt, user.updatedAt);
      const fetched = await fetch(`${svc.base}${response.headers.get('location')}`);
      assert.equal(fetched.status, 200);
      assert.equal(fetched.headers.get('etag'), '"1"');
      assert.deepEqual(await fetched.json(), user);
    });

    test('GET with a matching If-None-Match is 304', async () => {
      const user = await create('Cache', 'cache@example.com');
      const response = await fetch(`${svc.base}/users/${user.id}`, { headers: { 'if-none-match': '"1"' } });
      assert.equal(response.status, 304);
    });

    test('email is unique case-insensitively: 409 and nothing changes', async () => {
      await create('Grace', 'grace@example.com');
      const before = await countAll();
      const response = await json('POST', '/users', { name: 'Other Grace', email: 'GRACE@example.COM' });
      assert.equal(response.status, 409);
      assert.equal(((await response.json()) as { type: string }).type, 'https://flotilla.dev/problems/conflict');
      assert.equal(await countAll(), before);
    });

    test('PUT replaces and bumps the version; DELETE removes; then 404', async () => {
      const user = await create('Alan', 'alan@example.com');
      const put = await json('PUT', `/users/${user.id}`, { name: 'Alan Turing', email: 'turing@example.com' });
      assert.equal(put.status, 200);
      const replaced = (await put.json()) as UserBody;
      assert.equal(replaced.name, 'Alan Turing');
      assert.equal(replaced.version, 2);
      assert.equal(put.headers.get('etag'), '"2"');
      assert.equal(replaced.createdAt, user.createdAt);
      assert.ok(replaced.updatedAt >= user.updatedAt);
      const del = await fetch(`${svc.base}/users/${user.id}`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      const gone = await fetch(`${svc.base}/users/${user.id}`);
      assert.equal(gone.status, 404);
      assert.equal(((await gone.json()) as { type: string }).type, 'https://flotilla.dev/problems/not-found');
      assert.equal((await json('PUT', `/users/${user.id}`, { name: 'x', email: 'x@example.com' })).status, 404);
      assert.equal((await fetch(`${svc.base}/users/${user.id}`, { method: 'DELETE' })).status, 404);
    });

    test('If-Match: a stale ETag is 412 and changes nothing; the current one succeeds', async () => {
      const user = await create('Edsger', 'edsger@example.com');
      assert.equal(
        (await json('PUT', `/users/${user.id}`, { name: 'E. Dijkstra', email: 'edsger@example.com' }, { 'if-match': '"1"' })).status,
        200,
      );
      const stale = await json('PUT', `/users/${user.id}`, { name: 'Lost update', email: 'edsger@example.com' }, { 'if-match': '"1"' });
      assert.equal(stale.status, 412);
      assert.equal(((await stale.json()) as { type: string }).type, 'https://flotilla.dev/problems/precondition-failed');
      const current = (await (await fetch(`${svc.base}/users/${user.id}`)).json()) as UserBody;
      assert.equal(current.name, 'E. Dijkstra');
      assert.equal((await fetch(`${svc.base}/users/${user.id}`, { method: 'DELETE', headers: { 'if-match': '"1"' } })).status, 412);
      assert.equal((await fetch(`${svc.base}/users/${user.id}`, { method: 'DELETE', headers: { 'if-match': '"2"' } })).status, 204);
    });

    test('a duplicate email on PUT is 409', async () => {
      await create('One', 'one@example.com');
      const two = await create('Two', 'two@example.com');
      assert.equal((await json('PUT', `/users/${two.id}`, { name: 'Two', email: 'ONE@example.com' })).status, 409);
    });

    test('list is cursor-paginated in a stable order and filters by email', async () => {
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await create(`Page ${i}`, `page${i}@paging.example`)).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await fetch(`${svc.base}/users?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        assert.equal(response.status, 200);
        const page = (await response.json()) as { items: UserBody[]; nextCursor: string | null };
        assert.ok(page.items.length <= 3);
        if (page.nextCursor !== null) assert.match(response.headers.get('link') ?? '', /rel="next"/);
        seen.push(...page.items.map((u) => u.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 100);
      assert.deepEqual(seen, [...seen].sort(), 'ascending id order');
      assert.equal(new Set(seen).size, seen.length, 'no duplicates across pages');
      for (const id of made) assert.ok(seen.includes(id));
      const filtered = (await (await fetch(`${svc.base}/users?email=PAGE3@paging.example`)).json()) as { items: UserBody[] };
      assert.deepEqual(
        filtered.items.map((u) => u.email),
        ['page3@paging.example'],
      );
    });

    test('a cursor is a position: any user id continues the listing after it', async () => {
      const first = (await (await fetch(`${svc.base}/users?limit=2`)).json()) as { items: UserBody[] };
      const [a, b] = first.items.map((u) => u.id);
      const after = (await (await fetch(`${svc.base}/users?limit=1&cursor=${a}`)).json()) as { items: UserBody[] };
      assert.deepEqual(
        after.items.map((u) => u.id),
        [b],
      );
      const pastEnd = await fetch(`${svc.base}/users?cursor=ffffffff-ffff-7fff-bfff-ffffffffffff`);
      assert.equal(pastEnd.status, 200);
      assert.deepEqual(await pastEnd.json(), { items: [], nextCursor: null });
    });

    test('Idempotency-Key: same body replays, different body is 422, expired keys start over', async () => {
      const headers = { 'idempotency-key': `key-${dialect}-1` };
      const first = await json('POST', '/users', { name: 'Idem', email: 'idem@example.com' }, headers);
      assert.equal(first.status, 201);
      const firstBody = await first.json();
      const again = await json('POST', '/users', { name: 'Idem', email: 'idem@example.com' }, headers);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await again.json(), firstBody);
      assert.equal(again.headers.get('location'), first.headers.get('location'));
      const other = await json('POST', '/users', { name: 'Idem', email: 'other-idem@example.com' }, headers);
      assert.equal(other.status, 422);
      assert.equal((await json('GET', `/users?email=other-idem@example.com`)).status, 200);
      assert.deepEqual(
        ((await (await json('GET', '/users?email=other-idem@example.com')).json()) as { items: unknown[] }).items,
        [],
        'the refused request created nothing',
      );
      // 422 while the key lives; once its TTL has run out, the same request is a new one.
      const afterExpiry = await eventually(
        async () => {
          const answer = await json('POST', '/users', { name: 'Idem', email: 'idem-2@example.com' }, headers);
          if (answer.status !== 422) return answer;
          await answer.arrayBuffer();
          return undefined;
        },
        { intervalMs: 100, message: 'the idempotency key to expire' },
      );
      assert.equal(afterExpiry.status, 201, 'an expired key is a new request');
      assert.notEqual(((await afterExpiry.json()) as UserBody).id, (firstBody as UserBody).id);
    });

    test('concurrent requests with one Idempotency-Key create one user', async () => {
      const headers = { 'idempotency-key': `key-${dialect}-race` };
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => json('POST', '/users', { name: 'Race', email: 'race@example.com' }, headers)),
      );
      const statuses = responses.map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 201 || s === 409),
        `statuses: ${statuses.join(',')}`,
      );
      const ids = new Set(await Promise.all(responses.filter((r) => r.status === 201).map(async (r) => ((await r.json()) as UserBody).id)));
      assert.equal(ids.size, 1);
      const listed = (await (await json('GET', '/users?email=race@example.com')).json()) as { items: unknown[] };
      assert.equal(listed.items.length, 1);
    });
  });
}
