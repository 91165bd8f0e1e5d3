/** Hostile and malformed input: always a 4xx problem, never a 500, never a state change. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startUsers, testDialects, type UsersUnderTest } from '@flotilla/testing';

for (const dialect of testDialects()) {
  describe(`users bad input on ${dialect}`, () => {
    let svc: UsersUnderTest;
    let existingId: string;
    let snapshot: string;

    const all = async (): Promise<string> =>
      JSON.stringify(((await (await fetch(`${svc.base}/users?limit=100`)).json()) as { items: unknown[] }).items);
    const send = (method: string, path: string, body: string | undefined, contentType = 'application/json'): Promise<Response> =>
      fetch(`${svc.base}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }) });

    before(async () => {
      svc = await startUsers({ dialect: dialect });
      const created = await send('POST', '/users', JSON.stringify({ name: 'Existing', email: 'existing@example.com' }));
      existingId = ((await created.json()) as { id: string }).id;
      snapshot = await all();
    });
    after(() => svc.stop());

    const cases: Array<[string, string, string, string | undefined, number, string?]> = [
      ['malformed JSON', 'POST', '/users', '{"name": "x", "email":', 400],
      ['JSON that is not an object', 'POST', '/users', '[1,2,3]', 400],
      ['empty body', 'POST', '/users', '', 400],
      ['wrong types', 'POST', '/users', JSON.stringify({ name: 42, email: true }), 400],
      ['missing fields', 'POST', '/users', JSON.stringify({}), 400],
      ['unknown field', 'POST', '/users', JSON.stringify({ name: 'a', email: 'a@example.com', admin: true }), 400],
      ['invalid email', 'POST', '/users', JSON.stringify({ name: 'a', email: 'not-an-email' }), 400],
      ['blank name after trimming', 'POST', '/users', JSON.stringify({ name: '   ', email: 'blank@example.com' }), 400],
      ['name over 100 characters', 'POST', '/users', JSON.stringify({ name: 'n'.repeat(101), email: 'long@example.com' }), 400],
      [
        'very long strings in every field',
        'POST',
        '/users',
        JSON.stringify({ name: 'x'.repeat(5000), email: `${'y'.repeat(5000)}@example.com` }),
        400,
      ],
      ['body over the limit', 'POST', '/users', JSON.stringify({ name: 'z'.repeat(20000), email: 'big@example.com' }), 413],
      ['wrong content type', 'POST', '/users', 'name=a&email=a@example.com', 415, 'application/x-www-form-urlencoded'],
      ['text/plain', 'POST', '/users', '{"name":"a","email":"a@example.com"}', 415, 'text/plain'],
      ['invalid id on GET', 'GET', '/users/not-a-uuid', undefined, 400],
      ['SQL in the id', 'GET', "/users/1'%20OR%20'1'='1", undefined, 400],
      ['invalid id on PUT', 'PUT', '/users/123', JSON.stringify({ name: 'a', email: 'a@example.com' }), 400],
      ['invalid id on DELETE', 'DELETE', '/users/..%2F..%2Fetc', undefined, 400],
      ['bad limit', 'GET', '/users?limit=0', undefined, 400],
      ['non-numeric limit', 'GET', '/users?limit=ten', undefined, 400],
      ['boolean limit (no coercion the document does not describe)', 'GET', '/users?limit=true', undefined, 400],
      ['cursor outside its documented alphabet', 'GET', '/users?cursor=a%20b', undefined, 400],
      ['forged cursor', 'GET', '/users?cursor=bm90LWEtY3Vyc29y', undefined, 400],
      ['unknown query parameter', 'GET', '/users?role=admin', undefined, 400],
    ];

    for (const [name, method, path, body, status, contentType] of cases) {
      test(`${name} → ${status}`, async () => {
        const response = await send(method, path, body, contentType);
        assert.equal(response.status, status);
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        const problem = (await response.json()) as { type: string; status: number };
        assert.equal(problem.status, status);
        assert.match(problem.type, /^https:\/\/flotilla\.dev\/problems\//);
        assert.equal(await all(), snapshot, 'state unchanged');
      });
    }

    test('a PUT with an invalid body leaves the user as it was', async () => {
      const response = await send('PUT', `/users/${existingId}`, JSON.stringify({ name: 'only a name' }));
      assert.equal(response.status, 400);
      assert.equal(await all(), snapshot);
    });

    test('SQL metacharacters are data, stored and returned verbatim', async () => {
      const name = `Robert'); DROP TABLE users;-- "\\ %_`;
      const email = "o'brien+test@example.com";
      const created = await send('POST', '/users', JSON.stringify({ name, email }));
      assert.equal(created.status, 201);
      const user = (await created.json()) as { id: string; name: string; email: string };
      assert.equal(user.name, name);
      assert.equal(user.email, email);
      const search = (await (await fetch(`${svc.base}/users?email=${encodeURIComponent("o'brien+test@example.com")}`)).json()) as {
        items: Array<{ id: string }>;
      };
      assert.deepEqual(
        search.items.map((u) => u.id),
        [user.id],
      );
      const wildcard = (await (await fetch(`${svc.base}/users?email=${encodeURIComponent('%@example.com')}`)).json()) as {
        items: unknown[];
      };
      assert.deepEqual(wildcard.items, [], 'LIKE wildcards are not interpreted');
      assert.equal((await fetch(`${svc.base}/users/${existingId}`)).status, 200, 'the table is still there');
      assert.equal((await fetch(`${svc.base}/users/${user.id}`, { method: 'DELETE' })).status, 204);
    });

    test('unicode names count characters after trimming', async () => {
      const created = await send('POST', '/users', JSON.stringify({ name: ' Zoë 日本 ', email: 'zoe@example.com' }));
      assert.equal(created.status, 201);
      const user = (await created.json()) as { id: string; name: string };
      assert.equal(user.name, 'Zoë 日本');
      assert.equal((await fetch(`${svc.base}/users/${user.id}`, { method: 'DELETE' })).status, 204);
    });
  });
}
