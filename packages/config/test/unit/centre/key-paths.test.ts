import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withValueAt } from '../../../src/centre/key-paths.ts';

test('withValueAt sets a nested value, leaving the input as it was', () => {
  const root = { a: { b: 1 } };
  assert.deepEqual(withValueAt(root, 'a.c.d', 2), { a: { b: 1, c: { d: 2 } } });
  assert.deepEqual(root, { a: { b: 1 } });
});

test('withValueAt with undefined takes the key out, and a section left empty with it', () => {
  const added = { console: { enabled: true, prometheus: { url: 'http://p', selector: 's' } } };
  const once = withValueAt(added, 'console.prometheus.url', undefined);
  assert.deepEqual(once, { console: { enabled: true, prometheus: { selector: 's' } } });
  assert.deepEqual(withValueAt(once, 'console.prometheus.selector', undefined), { console: { enabled: true } });
});
