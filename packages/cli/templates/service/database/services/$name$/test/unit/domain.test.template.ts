/** The $name$ rules that need no storage: names and cursors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '@flotilla/kit';
import { decodeCursor, encodeCursor, NAME_MAX, normaliseName } from '../../src/domain.ts';

test('a name is trimmed and must be 1–NAME_MAX characters', () => {
  assert.equal(normaliseName('  Widget  '), 'Widget');
  assert.equal(normaliseName('x'.repeat(NAME_MAX)), 'x'.repeat(NAME_MAX));
  for (const bad of ['', '   ', 'x'.repeat(NAME_MAX + 1)]) assert.throws(() => normaliseName(bad), ValidationError);
});

test('a cursor names the id it follows; any other value is a validation error on query.cursor', () => {
  const id = '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69';
  assert.equal(decodeCursor(encodeCursor(id)), id);
  for (const bad of ['bogus', encodeCursor('not-an-id'), Buffer.from('{"after":1}').toString('base64url')]) {
    assert.throws(
      () => decodeCursor(bad),
      (error: unknown) => error instanceof ValidationError && error.violations[0]?.field === 'query.cursor',
    );
  }
});
