/** The $name$ REST API, run once per database dialect against a real server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiProblems, testDialects } from '@flotilla/testing';
import { start$Name$, type $Name$UnderTest } from './support/running.ts';

interface ItemBody {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

for (const dialect of testDialects()) {
  describe(`$name$ REST on ${dialect}`, () => {
    let svc: $Name$UnderTest;
    before(async () => {
      svc = await start$Name$(dialect);
    });
    after(() => svc?.stop());

    const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${svc.base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const create = async (name: string): Promise<ItemBody> => {
      const response = await send('POST', '/$name$/items', { name });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as ItemBody;
    };

    test('POST creates: 201, Location, ETag and the stored item', async () => {
      const response = await send('POST', '/$name$/items', { name: '  First  ' });
      assert.equal(response.status, 201);
      const item = (await response.json()) as ItemBody;
      assert.equal(item.name, 'First', 'the name is trimmed');
      assert.equal(item.version, 1);
      assert.equal(response.headers.get('location'), `/$name$/items/${item.id}`);
      assert.equal(response.headers.get('etag'), '"1"');
      const fetched = await send('GET', `/$name$/items/${item.id}`);
      assert.equal(fetched.status, 200);
      assert.deepEqual(await fetched.json(), item);
      const cached = await send('GET', `/$name$/items/${item.id}`, undefined, { 'if-none-match': '"1"' });
      assert.equal(cached.status, 304);
    });

    test('PUT replaces and bumps the version; a stale If-Match is 412 and changes nothing', async () => {
      const item = await create('Before');
      const replaced = await send('PUT', `/$name$/items/${item.id}`, { name: 'After' }, { 'if-match': '"1"' });
      assert.equal(replaced.status, 200);
      assert.equal(((await replaced.json()) as ItemBody).version, 2);
      const stale = await send('PUT', `/$name$/items/${item.id}`, { name: 'Lost' }, { 'if-match': '"1"' });
      assert.equal(stale.status, 412);
      assert.equal(((await stale.json()) as { type: string }).type, 'https://flotilla.dev/problems/precondition-failed');
      const current = (await (await send('GET', `/$name$/items/${item.id}`)).json()) as ItemBody;
      assert.equal(current.name, 'After');
    });

    test('DELETE removes; then the item is a 404 problem', async () => {
      const item = await create('Doomed');
      assert.equal((await send('DELETE', `/$name$/items/${item.id}`)).status, 204);
      const gone = await send('GET', `/$name$/items/${item.id}`);
      assert.equal(gone.status, 404);
      assert.equal(((await gone.json()) as { type: string }).type, 'https://flotilla.dev/problems/not-found');
    });

    test('the list pages in creation order, with a cursor and a Link to the next page', async () => {
      const created = [await create('Page 1'), await create('Page 2'), await create('Page 3')];
      const seen: string[] = [];
      let path: string | null = '/$name$/items?limit=2';
      while (path !== null) {
        const response: Response = await send('GET', path);
        assert.equal(response.status, 200);
        const page = (await response.json()) as { items: ItemBody[]; nextCursor: string | null };
        seen.push(...page.items.map((i) => i.id));
        path = page.nextCursor === null ? null : `/$name$/items?limit=2&cursor=${page.nextCursor}`;
        if (path !== null) assert.match(response.headers.get('link') ?? '', /rel="next"/);
      }
      assert.deepEqual(
        seen.filter((id) => created.some((c) => c.id === id)),
        created.map((c) => c.id),
      );
      assert.equal((await send('GET', '/$name$/items?cursor=bogus')).status, 400);
    });

    test('bad input is a 400 validation problem and stores nothing', async () => {
      for (const body of [{ name: '   ' }, { name: 'x', extra: true }, {}]) {
        const response = await send('POST', '/$name$/items', body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(((await response.json()) as { type: string }).type, 'https://flotilla.dev/problems/validation');
      }
      assert.equal((await send('GET', '/$name$/items/not-an-id')).status, 400);
    });

    test('the OpenAPI document is valid and documents every problem as problem+json', async () => {
      const document = await (await send('GET', '/openapi.json')).json();
      assert.deepEqual(await openApiProblems(document), []);
    });
  });
}
