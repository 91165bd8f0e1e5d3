/** Reading engines.node: the range forms package.json files use, and refusing the rest. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { satisfies } from '../../../src/doctor/node-range.ts';

test('comparators joined by spaces, as the root package.json writes them', () => {
  assert.ok(satisfies('v24.11.0', '>=24.11.0 <25'));
  assert.ok(satisfies('v24.22.3', '>=24.11.0 <25'));
  assert.ok(!satisfies('v24.10.9', '>=24.11.0 <25'));
  assert.ok(!satisfies('v25.0.0', '>=24.11.0 <25'));
  assert.ok(satisfies('v25.0.0', '>24'), '>24 is >=25.0.0');
  assert.ok(!satisfies('v24.9.0', '>24'));
  assert.ok(satisfies('v24.9.0', '<=24'), '<=24 is <25.0.0');
  assert.ok(satisfies('v24.1.0', '=24.1.0'));
  assert.ok(!satisfies('v24.1.1', '24.1.0'));
});

test('x-ranges, caret, tilde and alternatives', () => {
  assert.ok(satisfies('v24.3.1', '24'));
  assert.ok(satisfies('v24.3.1', '24.x'));
  assert.ok(!satisfies('v25.0.0', '24.x'));
  assert.ok(satisfies('v24.3.1', '*'));
  assert.ok(satisfies('v24.12.0', '^24.11.0'));
  assert.ok(!satisfies('v25.0.0', '^24.11.0'));
  assert.ok(satisfies('v0.2.5', '^0.2.3') && !satisfies('v0.3.0', '^0.2.3'));
  assert.ok(satisfies('v24.11.9', '~24.11.0') && !satisfies('v24.12.0', '~24.11.0'));
  assert.ok(satisfies('v22.1.0', '^20 || ^22') && !satisfies('v21.0.0', '^20 || ^22'));
});

test('a range it cannot read is an error, not a guess', () => {
  assert.throws(() => satisfies('v24.1.0', '24.0.0 - 25.0.0'), /cannot read the version range/);
  assert.throws(() => satisfies('v24.1.0', '>=latest'), /cannot read the version range/);
});
