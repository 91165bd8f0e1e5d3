import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureLogs } from '@flotilla/testing';

test('captureLogs keeps each JSON line parsed, the raw text, and finds lines by event.action', () => {
  const logs = captureLogs();
  logs.stream.write('{"message":"started"}\n{"message":"refused","event":{"action":"config-rejected"}}\n');
  logs.stream.write('{"message":"applied","event":{"action":"config-applied"}}\n');
  assert.deepEqual(
    logs.lines.map((line) => line.message),
    ['started', 'refused', 'applied'],
  );
  assert.deepEqual(
    logs.withAction('config-rejected').map((line) => line.message),
    ['refused'],
  );
  assert.match(logs.text(), /^\{"message":"started"\}\n/);
});
