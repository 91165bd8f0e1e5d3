/** The $name$ rules that need no storage: names. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '@flotilla/kit';
import { NAME_MAX, normaliseName } from '../../src/domain.ts';

test('a name is trimmed and must be 1–NAME_MAX characters', () => {
  assert.equal(normaliseName('  Widget  '), 'Widget');
  assert.equal(normaliseName('x'.repeat(NAME_MAX)), 'x'.repeat(NAME_MAX));
  assert.equal(normaliseName('😀'.repeat(NAME_MAX)), '😀'.repeat(NAME_MAX), 'lengths count code points');
  for (const bad of ['', '   ', 'x'.repeat(NAME_MAX + 1)]) assert.throws(() => normaliseName(bad), ValidationError);
});
