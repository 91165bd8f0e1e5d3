import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readCredential } from '../../src/credentials.ts';

test('readCredential: every spelling of the Authorization schemes, and x-api-key', () => {
  const cases: Array<[Record<string, string | string[]>, ReturnType<typeof readCredential>]> = [
    [{}, { kind: 'none' }],
    [{ authorization: 'Bearer abc.def.ghi' }, { kind: 'bearer', token: 'abc.def.ghi' }],
    [{ authorization: 'bearer abc' }, { kind: 'bearer', token: 'abc' }],
    [{ authorization: 'BEARER\tabc' }, { kind: 'bearer', token: 'abc' }],
    [{ authorization: '  Bearer   abc  ' }, { kind: 'bearer', token: 'abc' }],
    [{ authorization: 'Bearer abc\u00a0' }, { kind: 'bearer', token: 'abc' }],
    [{ authorization: 'Bearer a b' }, { kind: 'bearer', token: 'a b' }],
    [{ authorization: 'Bearer ' }, { kind: 'bearer', token: '' }],
    [{ authorization: 'Bearer' }, { kind: 'bearer', token: '' }],
    [{ authorization: 'Bearerabc' }, { kind: 'none' }],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, { kind: 'none' }],
    [{ authorization: 'ApiKey k-1' }, { kind: 'apiKey', key: 'k-1' }],
    [{ 'x-api-key': ' k-2 ' }, { kind: 'apiKey', key: 'k-2' }],
    [{ authorization: 'Bearer abc', 'x-api-key': 'k-2' }, { kind: 'ambiguous' }],
    [{ authorization: ['Bearer a', 'Bearer b'] }, { kind: 'ambiguous' }],
    [{ authorization: ['Bearer a', 'Bearer a'] }, { kind: 'bearer', token: 'a' }],
  ];
  for (const [headers, expected] of cases) assert.deepEqual(readCredential(headers), expected, JSON.stringify(headers));
});
