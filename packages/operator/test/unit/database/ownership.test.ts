import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeMark, judgeOwnership, ownerMark, type OwnershipFacts } from '../../../src/database/ownership.ts';
import type { Database } from '../../../src/database/types.ts';

const db = { metadata: { namespace: 'shop', name: 'orders' }, spec: {} } as Database;
const mine = ownerMark(db);
const facts = (database: [boolean, string | null], role: [boolean, string | null]): OwnershipFacts => ({
  database: { exists: database[0], mark: database[1] },
  role: { exists: role[0], mark: role[1] },
});

test('the mark names the Database by namespace/name', () => {
  assert.equal(mine, 'flotilla.dev/database=shop/orders');
  assert.equal(describeMark('flotilla.dev/database=other/orders'), 'belongs to Database other/orders');
  assert.equal(describeMark(null), 'exists and is not managed by the operator');
  assert.equal(describeMark('made by hand'), 'exists and is not managed by the operator');
});

test('nothing there, or only what carries our mark: ours', () => {
  assert.deepEqual(judgeOwnership(facts([false, null], [false, null]), mine), { state: 'ours', database: false, role: false });
  assert.deepEqual(judgeOwnership(facts([true, mine], [true, mine]), mine), { state: 'ours', database: true, role: true });
  assert.deepEqual(judgeOwnership(facts([false, null], [true, mine]), mine), { state: 'ours', database: false, role: true });
  assert.deepEqual(judgeOwnership(facts([true, mine], [false, null]), mine), { state: 'ours', database: true, role: false });
});

test('an unmarked database is ours only next to our role (an interrupted first reconcile)', () => {
  assert.deepEqual(judgeOwnership(facts([true, null], [true, mine]), mine), { state: 'ours', database: true, role: true });
  assert.deepEqual(judgeOwnership(facts([true, null], [false, null]), mine), { state: 'conflict', what: 'database', mark: null });
});

test('anything marked by someone else, or a role we did not make, is a conflict', () => {
  const theirs = 'flotilla.dev/database=other/orders';
  assert.deepEqual(judgeOwnership(facts([true, theirs], [true, theirs]), mine), { state: 'conflict', what: 'role', mark: theirs });
  assert.deepEqual(judgeOwnership(facts([false, null], [true, null]), mine), { state: 'conflict', what: 'role', mark: null });
  assert.deepEqual(judgeOwnership(facts([true, theirs], [true, mine]), mine), { state: 'conflict', what: 'database', mark: theirs });
});
