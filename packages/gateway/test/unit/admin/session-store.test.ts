/** The console's session store: random ids and tokens, idle and maximum-age expiry on a clock the test moves, a bound on how many live at once. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sameToken, SessionStore } from '../../../src/admin/session-store.ts';

function clock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

describe('SessionStore', () => {
  test('a session has its own random id and CSRF token, and is found by its id', () => {
    const store = new SessionStore();
    const a = store.create('ada', ['admin']);
    const b = store.create('ada', ['admin']);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.csrfToken, b.csrfToken);
    assert.notEqual(a.id, a.csrfToken);
    assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(store.touch(a.id)?.subject, 'ada');
    assert.deepEqual(store.peek(b.id)?.roles, ['admin']);
    assert.equal(store.touch('unknown'), undefined);
  });

  test('a session unused for the idle time ends; each use restarts the idle time', () => {
    const time = clock();
    const store = new SessionStore({ idleMs: 1_000, maxAgeMs: 10_000 }, time);
    const session = store.create('ada', ['admin']);
    assert.equal(store.expiresAt(session), time.now() + 1_000);
    time.advance(900);
    assert.ok(store.touch(session.id), 'used within the idle time');
    time.advance(900);
    assert.ok(store.touch(session.id), 'the idle time restarted at the last use');
    time.advance(1_000);
    assert.equal(store.touch(session.id), undefined, 'idle too long');
    assert.equal(store.size, 0);
  });

  test('a session ends at its maximum age, however much it is used', () => {
    const time = clock();
    const store = new SessionStore({ idleMs: 1_000, maxAgeMs: 2_500 }, time);
    const session = store.create('ada', ['admin']);
    for (let i = 0; i < 4; i++) {
      time.advance(600);
      assert.ok(store.touch(session.id));
    }
    assert.equal(store.expiresAt(session), session.createdAt + 2_500);
    time.advance(100);
    assert.equal(store.touch(session.id), undefined);
  });

  test('ending a session or clearing the store forgets it', () => {
    const store = new SessionStore();
    const a = store.create('ada', ['admin']);
    const b = store.create('bob', ['admin']);
    assert.equal(store.end(a.id), true);
    assert.equal(store.peek(a.id), undefined);
    store.clear();
    assert.equal(store.peek(b.id), undefined);
  });

  test('at most maxSessions live: a new login ends the one unused for longest, expired ones first', () => {
    const time = clock();
    const store = new SessionStore({ maxSessions: 3, idleMs: 1_000 }, time);
    const first = store.create('a', ['admin']);
    const second = store.create('b', ['admin']);
    const third = store.create('c', ['admin']);
    store.touch(first.id);
    const fourth = store.create('d', ['admin']);
    assert.equal(store.size, 3);
    assert.equal(store.peek(second.id), undefined, 'the least recently used went');
    for (const kept of [first, third, fourth]) assert.ok(store.peek(kept.id));
    time.advance(2_000);
    store.create('e', ['admin']);
    assert.equal(store.size, 1, 'the idle ones were swept before anyone was pushed out');
  });

  test('tokens compare in full', () => {
    assert.equal(sameToken('abc', 'abc'), true);
    assert.equal(sameToken('abc', 'abd'), false);
    assert.equal(sameToken('abc', 'ab'), false);
    assert.equal(sameToken('abc', undefined), false);
  });
});
