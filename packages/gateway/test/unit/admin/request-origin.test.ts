/** Which `Origin` is the gateway's own: same scheme and host as the request, the scheme taken from a TLS proxy when it says so. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isOwnOrigin } from '../../../src/admin/request-origin.ts';

describe('isOwnOrigin', () => {
  const host = { host: '127.0.0.1:8080' };
  test('the same scheme, host and port', () => {
    assert.equal(isOwnOrigin('http://127.0.0.1:8080', 'http', host), true);
    assert.equal(isOwnOrigin('http://localhost:8080', 'http', host), false);
    assert.equal(isOwnOrigin('http://127.0.0.1:8081', 'http', host), false);
    assert.equal(isOwnOrigin('https://127.0.0.1:8080', 'http', host), false);
  });
  test('default ports are the same origin written either way', () => {
    assert.equal(isOwnOrigin('http://console.example', 'http', { host: 'console.example:80' }), true);
    assert.equal(isOwnOrigin('https://console.example', 'http', { host: 'console.example', 'x-forwarded-proto': 'https' }), true);
    assert.equal(isOwnOrigin('http://console.example', 'http', { host: 'console.example', 'x-forwarded-proto': 'https' }), false);
  });
  test('null, garbage, a path, or no Host are not', () => {
    assert.equal(isOwnOrigin('null', 'http', host), false);
    assert.equal(isOwnOrigin('not a url', 'http', host), false);
    assert.equal(isOwnOrigin('http://127.0.0.1:8080/console', 'http', host), false);
    assert.equal(isOwnOrigin('http://127.0.0.1:8080', 'http', {}), false);
  });
});
