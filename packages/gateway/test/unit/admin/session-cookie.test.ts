/** Reading the console's cookie from a request, and the cookie it is given. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clearedSessionCookie, sessionCookie, sessionIdFrom } from '../../../src/admin/session-cookie.ts';

describe('sessionIdFrom', () => {
  test('finds the console cookie among others', () => {
    assert.equal(sessionIdFrom({ cookie: 'a=1; flotilla_console=abc_-9; b=2' }), 'abc_-9');
    assert.equal(sessionIdFrom({ cookie: 'flotilla_console=' }), undefined);
    assert.equal(sessionIdFrom({ cookie: 'xflotilla_console=abc' }), undefined);
    assert.equal(sessionIdFrom({}), undefined);
  });
});

describe('sessionCookie', () => {
  test('HttpOnly, SameSite=Strict, Path=/admin, and Secure only over TLS; cleared with Max-Age=0', () => {
    assert.equal(sessionCookie('id1', 60, false), 'flotilla_console=id1; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=60');
    assert.equal(sessionCookie('id1', 60, true), 'flotilla_console=id1; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=60; Secure');
    assert.equal(clearedSessionCookie(false), 'flotilla_console=; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=0');
  });
});
