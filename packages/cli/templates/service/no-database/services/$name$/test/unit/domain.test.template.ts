/** The $name$ rule, without a server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '@flotilla/kit';
import { greet, NAME_MAX } from '../../src/domain.ts';

test('a greeting trims the name, which must be 1–NAME_MAX characters', () => {
  assert.equal(greet('  Ada  '), 'Hello, Ada!');
  assert.equal(greet('x'.repeat(NAME_MAX)), `Hello, ${'x'.repeat(NAME_MAX)}!`);
  for (const bad of ['', '   ', 'x'.repeat(NAME_MAX + 1)]) assert.throws(() => greet(bad), ValidationError);
});
