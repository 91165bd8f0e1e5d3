/** The $name$ REST API against a real server. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openApiProblems } from '@flotilla/testing';
import { start$Name$, type $Name$UnderTest } from './support/running.ts';

let svc: $Name$UnderTest;
before(async () => {
  svc = await start$Name$();
});
after(() => svc?.stop());

test('GET /$name$/hello/:name greets; a blank name is a 400 validation problem', async () => {
  const response = await fetch(`${svc.base}/$name$/hello/Ada%20Lovelace`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: 'Hello, Ada Lovelace!' });
  const blank = await fetch(`${svc.base}/$name$/hello/%20%20`);
  assert.equal(blank.status, 400);
  assert.equal(((await blank.json()) as { type: string }).type, 'https://flotilla.dev/problems/validation');
});

test('the OpenAPI document is valid and documents every problem as problem+json', async () => {
  const document = await (await fetch(`${svc.base}/openapi.json`)).json();
  assert.deepEqual(await openApiProblems(document), []);
});
