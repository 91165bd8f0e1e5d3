import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConfigError, maskConfig } from '@flotilla/config';
import { Authenticator, authSettingsProblems, generateApiKey, isAuthFailure, parseAuthSettings } from '@flotilla/http';
import { hs256, mintJwt } from '@flotilla/testing';
import { goodClaims, rsaKey, SECRET } from '@flotilla/testing';

const jwtBase = { issuer: 'https://issuer.test', audience: 'flotilla' };

function problemsOf(input: unknown): string[] {
  try {
    new Authenticator(parseAuthSettings(input));
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map((p) => `${p.key}: ${p.rule}`);
  }
  return [];
}

describe('auth settings', () => {
  test('defaults: realm flotilla, no keys, nothing else', () => {
    assert.deepEqual(parseAuthSettings({}), { realm: 'flotilla', apiKeys: [] });
    const jwt = parseAuthSettings({ jwt: { ...jwtBase, keys: [{ jwk: rsaKey('k').jwk }] } }).jwt;
    assert.deepEqual(jwt?.algorithms, ['RS256', 'ES256']);
    assert.equal(jwt?.clockSkewSeconds, 30);
    assert.equal(jwt?.requireExpiry, true);
  });

  test('shape errors name the key and never echo a secret', () => {
    try {
      parseAuthSettings({
        jwt: { ...jwtBase, algorithms: ['HS256'], secret: 'too-short-secret' },
        apiKeys: [{ id: 'a', hash: 'md5:abc' }],
        identityHeader: {},
      });
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const keys = error.problems.map((p) => p.key).sort();
      assert.deepEqual(keys, ['apiKeys.0.hash', 'identityHeader.secret', 'jwt.secret']);
      assert.ok(!error.message.includes('too-short-secret'));
    }
  });

  test('semantic errors are all reported at once', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const key = generateApiKey();
    const problems = problemsOf({
      jwt: {
        ...jwtBase,
        algorithms: ['HS256', 'RS256'],
        jwks: { url: 'http://127.0.0.1:1/jwks', cacheSeconds: 10, minCacheSeconds: 60 },
        keys: [
          {
            kid: 'a',
            pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().replace('PRIVATE KEY', 'PUBLIC KEY'),
          },
          { kid: 'a', pem: weak },
          { kid: 'b' },
          { jwk: { ...privateKey.export({ format: 'jwk' }) } },
          { alg: 'ES256', jwk: rsaKey('c').jwk },
        ],
      },
      apiKeys: [
        { id: 'x', hash: key.hash },
        { id: 'x', hash: key.hash },
      ],
    });
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), [
      'apiKeys.1.hash',
      'apiKeys.1.id',
      'jwt.jwks.minCacheSeconds',
      'jwt.keys.0.pem',
      'jwt.keys.1.kid',
      'jwt.keys.1.pem',
      'jwt.keys.2',
      'jwt.keys.3.jwk',
      'jwt.keys.4.jwk',
      'jwt.secret',
    ]);
    assert.deepEqual(problemsOf({ jwt: { ...jwtBase, algorithms: ['ES256'] } }), ['jwt: RS256/ES256 need jwt.jwks.url or jwt.keys']);
    assert.deepEqual(authSettingsProblems(parseAuthSettings({ jwt: { ...jwtBase, algorithms: ['HS256'], secret: SECRET } })), []);
  });

  test('update(): a bad change throws and the running settings stay in force', async () => {
    const auth = new Authenticator(parseAuthSettings({ jwt: { ...jwtBase, algorithms: ['HS256'], secret: SECRET } }));
    const token = mintJwt({ alg: 'HS256' }, goodClaims(), hs256(SECRET));
    assert.throws(() => auth.update(parseAuthSettings({ jwt: { ...jwtBase, algorithms: ['HS256'] } })), ConfigError);
    assert.ok(!isAuthFailure(await auth.authenticate({ authorization: `Bearer ${token}` })));

    auth.update(parseAuthSettings({ jwt: { ...jwtBase, audience: 'another', algorithms: ['HS256'], secret: SECRET } }));
    const result = await auth.authenticate({ authorization: `Bearer ${token}` });
    assert.ok(isAuthFailure(result) && result.problem.message === 'The access token is meant for another audience');
  });

  test('the config layer masks the secrets (not the key hashes, which are safe to show)', () => {
    const key = generateApiKey();
    const settings = parseAuthSettings({
      jwt: { ...jwtBase, algorithms: ['HS256'], secret: SECRET, previousSecret: `${SECRET}-old` },
      apiKeys: [{ id: 'a', hash: key.hash }],
      identityHeader: { secret: SECRET, previousSecret: `${SECRET}-old` },
    });
    const masked = JSON.stringify(maskConfig({ auth: settings }));
    assert.ok(!masked.includes(SECRET));
    assert.ok(masked.includes(key.hash));
  });
});
