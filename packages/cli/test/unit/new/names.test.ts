/** A new service's name: what is accepted, and the spellings made from it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/exit-codes.ts';
import { serviceNames } from '../../../src/new/names.ts';

test('a dashed name gives each spelling the templates use', () => {
  assert.deepEqual(serviceNames('stock-levels'), {
    name: 'stock-levels',
    pascal: 'StockLevels',
    camel: 'stockLevels',
    env: 'STOCK_LEVELS',
    proto: 'stock_levels',
  });
  assert.deepEqual(serviceNames('inventory'), {
    name: 'inventory',
    pascal: 'Inventory',
    camel: 'inventory',
    env: 'INVENTORY',
    proto: 'inventory',
  });
  assert.equal(serviceNames('b2b-api').pascal, 'B2bApi');
});

test('lower-case letters, digits and single dashes, 2–31 characters, a letter first, no dash last; "shared" is reserved', () => {
  for (const good of ['ab', 'a1', 'x'.repeat(31), 'a-b-c']) assert.equal(serviceNames(good).name, good);
  for (const bad of ['a', 'x'.repeat(32), 'Inventory', '1st', '-a', 'a-', 'a--b', 'a_b', 'a.b', 'a b', '', 'shared']) {
    assert.throws(() => serviceNames(bad), UsageError, bad);
  }
});
