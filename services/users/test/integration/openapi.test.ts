/** The users service's OpenAPI document: valid OpenAPI 3.1, and it documents what the server sends. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiProblems, startUsers, type UsersUnderTest } from '@flotilla/testing';

type Responses = Record<string, { content?: Record<string, unknown> }>;
type Document = {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        responses: Responses;
        parameters?: Array<{ name: string; in: string; required?: boolean; schema: Record<string, unknown> }>;
      }
    >
  >;
};

describe('users OpenAPI document', () => {
  let svc: UsersUnderTest;
  let doc: Document;

  before(async () => {
    svc = await startUsers();
    doc = (await (await fetch(`${svc.base}/openapi.json`)).json()) as Document;
  });
  after(() => svc?.stop());

  test('validates against the OpenAPI 3.1 schema and documents every problem as application/problem+json', async () => {
    assert.deepEqual(await openApiProblems(doc), []);
  });

  test('every operation documents the problems any request can meet; body routes add 413 and 415; routes with an id add 414', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const statuses = Object.keys(operation.responses);
        for (const status of ['500', '503', '504']) assert.ok(statuses.includes(status), `${method} ${path} documents ${status}`);
        if (method === 'post' || method === 'put')
          for (const status of ['400', '413', '415']) assert.ok(statuses.includes(status), `${method} ${path} ${status}`);
        if (path.includes('{id}')) assert.ok(statuses.includes('414'), `${method} ${path} 414`);
      }
    }
  });

  test('a created user links to reading, replacing and deleting it, by the id in the body', () => {
    const created = doc.paths['/users']?.post?.responses['201'] as { links?: Record<string, { operationId: string; parameters: unknown }> };
    assert.deepEqual(Object.keys(created.links ?? {}).sort(), ['deleteUser', 'getUser', 'replaceUser']);
    assert.deepEqual(created.links?.getUser, { operationId: 'getUser', parameters: { id: '$response.body#/id' } });
    assert.equal(doc.paths['/users/{id}']?.get?.operationId, 'getUser');
  });

  test('the headers the server enforces are constrained in the document as in the validator', () => {
    const header = (method: string, path: string, name: string) =>
      doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'header' && p.name === name)?.schema;
    assert.equal(header('post', '/users', 'idempotency-key')?.maxLength, 191);
    assert.equal(header('post', '/users', 'idempotency-key')?.minLength, 1);
    assert.ok(header('put', '/users/{id}', 'if-match')?.pattern, 'If-Match has its entity-tag pattern');
    assert.ok(header('delete', '/users/{id}', 'if-match')?.pattern);
  });

  test('the answers no operation can list (404, 405, connection-level errors) are in the description', () => {
    const description = (doc as { info?: { description?: string } }).info?.description ?? '';
    for (const status of ['404', '405', '408', '414', '417', '431', '505']) assert.ok(description.includes(`**${status}**`), status);
  });

  test('a query parameter with a default is optional to clients; the server fills it in', async () => {
    const limit = doc.paths['/users']?.get?.parameters?.find((p) => p.in === 'query' && p.name === 'limit');
    assert.equal(limit?.schema.default, 20);
    assert.notEqual(limit?.required, true);
    const page = (await (await fetch(`${svc.base}/users`)).json()) as { items: unknown[] };
    assert.ok(Array.isArray(page.items));
  });
});
