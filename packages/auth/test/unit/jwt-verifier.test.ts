import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Authenticator, isAuthFailure, parseAuthSettings, type AuthenticateResult, type Identity } from '@flotilla/http';
import { hs256, mintJwt, nowSeconds } from '@flotilla/testing';
import { ecKey, goodClaims, rsaKey, SECRET, tokenFor } from '@flotilla/testing';

const rsa = rsaKey('rsa-1');
const ec = ecKey('ec-1');
const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();

function authenticator(jwt: Record<string, unknown> = {}): Authenticator {
  return new Authenticator(
    parseAuthSettings({
      jwt: {
        issuer: 'https://issuer.test',
        audience: 'flotilla',
        algorithms: ['HS256', 'RS256', 'ES256'],
        secret: SECRET,
        keys: [{ kid: 'rsa-1', pem: rsaPem }, { jwk: ec.jwk }],
        ...jwt,
      },
    }),
  );
}

const auth = authenticator();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const hsToken = (claims: Record<string, unknown> = goodClaims(), header: Record<string, unknown> = {}) =>
  mintJwt({ alg: 'HS256', typ: 'JWT', ...header }, claims, hs256(SECRET));

function refused(result: AuthenticateResult, description: string): void {
  assert.ok(isAuthFailure(result), 'expected a refusal');
  assert.equal(result.problem.code, 'unauthenticated');
  assert.equal(result.problem.message, description);
  assert.equal(result.wwwAuthenticate, `Bearer realm="flotilla", error="invalid_token", error_description="${description}"`);
}

function accepted(result: AuthenticateResult): Identity {
  assert.ok(!isAuthFailure(result), `expected an identity, got ${isAuthFailure(result) ? result.problem.message : ''}`);
  assert.ok(result.identity !== null);
  return result.identity;
}

describe('JWT: tokens that verify', () => {
  test('HS256 with the shared secret yields the identity', async () => {
    const identity = accepted(await auth.authenticate(bearer(hsToken())));
    assert.equal(identity.subject, 'ada');
    assert.deepEqual(identity.roles, ['reader']);
    assert.equal(identity.method, 'jwt');
    assert.equal(identity.claims.iss, 'https://issuer.test');
  });

  test('RS256 with a static PEM key (by kid) and ES256 with a static JWK (no kid needed)', async () => {
    assert.equal(accepted(await auth.authenticate(bearer(tokenFor(rsa)))).subject, 'ada');
    assert.equal(accepted(await auth.authenticate(bearer(tokenFor(ec)))).subject, 'ada');
  });

  test('the scheme name is case-insensitive and aud may be a list', async () => {
    accepted(await auth.authenticate({ authorization: `bearer ${hsToken(goodClaims({ aud: ['other', 'flotilla'] }))}` }));
  });

  test('exp and nbf are checked with the configured clock skew', async () => {
    accepted(await auth.authenticate(bearer(hsToken(goodClaims({ exp: nowSeconds() - 10 })))));
    accepted(await auth.authenticate(bearer(hsToken(goodClaims({ nbf: nowSeconds() + 10 })))));
  });

  test('a previousSecret is still accepted during rotation', async () => {
    const rotated = authenticator({ secret: 'the-new-secret-that-is-long-enough-9876543210', previousSecret: SECRET });
    accepted(await rotated.authenticate(bearer(hsToken())));
  });

  test('roles come from a nested claim or a space-separated scope', async () => {
    const nested = authenticator({ rolesClaim: 'realm_access.roles' });
    assert.deepEqual(accepted(await nested.authenticate(bearer(hsToken(goodClaims({ realm_access: { roles: ['admin', 7] } }))))).roles, [
      'admin',
    ]);
    const scoped = authenticator({ rolesClaim: 'scope' });
    assert.deepEqual(accepted(await scoped.authenticate(bearer(hsToken(goodClaims({ scope: 'orders:read  orders:write' }))))).roles, [
      'orders:read',
      'orders:write',
    ]);
  });
});

describe('JWT: every bad token is a 401 invalid_token', () => {
  test('alg none, however it is spelled and whatever it carries', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      refused(await auth.authenticate(bearer(mintJwt({ alg }, goodClaims(), undefined))), 'Unsigned tokens are not accepted');
      refused(await auth.authenticate(bearer(mintJwt({ alg }, goodClaims(), hs256(SECRET)))), 'Unsigned tokens are not accepted');
    }
  });

  test('an algorithm that is not in the allowed list', async () => {
    refused(
      await auth.authenticate(bearer(mintJwt({ alg: 'HS512' }, goodClaims(), hs256(SECRET)))),
      'The token signing algorithm is not accepted',
    );
    const rsOnly = authenticator({ algorithms: ['RS256'] });
    refused(await rsOnly.authenticate(bearer(hsToken())), 'The token signing algorithm is not accepted');
  });

  test('algorithm confusion: HS256 signed with the RSA public key fails', async () => {
    // Both where HS256 is not allowed, and where it is (the public key is never an HMAC secret).
    const confused = mintJwt({ alg: 'HS256', kid: 'rsa-1' }, goodClaims(), hs256(rsaPem));
    refused(await authenticator({ algorithms: ['RS256'] }).authenticate(bearer(confused)), 'The token signing algorithm is not accepted');
    refused(await auth.authenticate(bearer(confused)), 'The token signature is invalid');
    // …and an RS256 token cannot be verified by the EC key, nor an ES256 one by the RSA key.
    refused(
      await auth.authenticate(bearer(mintJwt({ alg: 'ES256', kid: 'rsa-1' }, goodClaims(), rsa.signer))),
      'The token is signed with an unknown key',
    );
    refused(
      await authenticator({ keys: [{ jwk: ec.jwk }] }).authenticate(bearer(mintJwt({ alg: 'RS256' }, goodClaims(), rsa.signer))),
      'The token is signed with an unknown key',
    );
  });

  test('expired beyond the skew, and no expiry at all', async () => {
    refused(await auth.authenticate(bearer(hsToken(goodClaims({ exp: nowSeconds() - 31 })))), 'The access token expired');
    const claims = goodClaims();
    delete claims.exp;
    refused(await auth.authenticate(bearer(hsToken(claims))), 'The access token has no expiry');
    refused(
      await authenticator({ clockSkewSeconds: 0 }).authenticate(bearer(hsToken(goodClaims({ exp: nowSeconds() - 1 })))),
      'The access token expired',
    );
  });

  test('not yet valid beyond the skew', async () => {
    refused(await auth.authenticate(bearer(hsToken(goodClaims({ nbf: nowSeconds() + 120 })))), 'The access token is not valid yet');
  });

  test('wrong audience or issuer, and no subject', async () => {
    refused(
      await auth.authenticate(bearer(hsToken(goodClaims({ aud: 'someone-else' })))),
      'The access token is meant for another audience',
    );
    refused(await auth.authenticate(bearer(hsToken(goodClaims({ aud: undefined })))), 'The access token is meant for another audience');
    refused(
      await auth.authenticate(bearer(hsToken(goodClaims({ iss: 'https://evil.test' })))),
      'The access token comes from an issuer that is not trusted',
    );
    refused(await auth.authenticate(bearer(hsToken(goodClaims({ sub: '' })))), 'The access token has no subject');
  });

  test('forged signatures: another secret, another key, a tampered payload', async () => {
    refused(
      await auth.authenticate(bearer(mintJwt({ alg: 'HS256' }, goodClaims(), hs256('another-secret-that-is-long-enough-000000')))),
      'The token signature is invalid',
    );
    const impostor = rsaKey('rsa-1');
    refused(await auth.authenticate(bearer(tokenFor(impostor))), 'The token signature is invalid');
    const [header, , signature] = hsToken().split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify(goodClaims({ sub: 'root', roles: ['admin'] }))).toString('base64url')}.${signature}`;
    refused(await auth.authenticate(bearer(tampered)), 'The token signature is invalid');
  });

  test('an expired token with a forged signature is reported as forged, not as expired', async () => {
    refused(
      await auth.authenticate(
        bearer(mintJwt({ alg: 'HS256' }, goodClaims({ exp: 1 }), hs256('another-secret-that-is-long-enough-000000'))),
      ),
      'The token signature is invalid',
    );
  });

  test('malformed tokens', async () => {
    const valid = hsToken();
    const [h, p, s] = valid.split('.') as [string, string, string];
    const notJson = Buffer.from('not json').toString('base64url');
    for (const token of [
      '',
      'abc',
      `${h}.${p}`,
      `${valid}.extra`,
      `${h}.${p}.${s}!`,
      `${notJson}.${p}.${s}`,
      `.${p}.${s}`,
      `${h}..${s}`,
      'x'.repeat(20_000),
      `${h}.${p}.${s}A`,
    ]) {
      const result = await auth.authenticate(bearer(token));
      assert.ok(isAuthFailure(result), `accepted ${token.slice(0, 40)}`);
      assert.equal(result.problem.code, 'unauthenticated');
      assert.match(result.wwwAuthenticate ?? '', /^Bearer realm="flotilla", error="invalid_token", error_description="[^"]+"$/);
    }
    const crit = mintJwt({ alg: 'HS256', crit: ['exp'] }, goodClaims(), hs256(SECRET));
    refused(await auth.authenticate(bearer(crit)), 'The access token is malformed');
    const arrayPayload = mintJwt({ alg: 'HS256' }, [] as unknown as Record<string, unknown>, hs256(SECRET));
    refused(await auth.authenticate(bearer(arrayPayload)), 'The access token is malformed');
    refused(await auth.authenticate({ authorization: 'Bearer' }), 'The access token is malformed');
  });

  test('a bearer token where no JWT is configured', async () => {
    const keysOnly = new Authenticator(parseAuthSettings({}));
    refused(await keysOnly.authenticate(bearer(hsToken())), 'Bearer tokens are not accepted here');
  });
});

describe('401 versus 403', () => {
  test('no credential: identity null; a required route answers 401 with a bare challenge', async () => {
    const result = await auth.authenticate({});
    assert.deepEqual(result, { identity: null });
    const denied = auth.authorize(null, { required: true });
    assert.equal(denied?.problem.code, 'unauthenticated');
    assert.equal(denied?.wwwAuthenticate, 'Bearer realm="flotilla"');
    assert.equal(auth.authorize(null, { required: false }), undefined);
    assert.equal(auth.authorize(null, undefined), undefined);
    assert.equal(auth.authorize(null, { required: false, roles: ['admin'] })?.problem.code, 'unauthenticated');
  });

  test('other schemes are not credentials of ours', async () => {
    assert.deepEqual(await auth.authenticate({ authorization: 'Basic YWRhOnB3' }), { identity: null });
  });

  test('a valid token without the role: 403 insufficient_scope; with any one of the roles: allowed', async () => {
    const identity = accepted(await auth.authenticate(bearer(hsToken())));
    const denied = auth.authorize(identity, { roles: ['admin', 'ops'] });
    assert.equal(denied?.problem.code, 'forbidden');
    assert.match(denied?.wwwAuthenticate ?? '', /^Bearer realm="flotilla", error="insufficient_scope", error_description="[^"]+"$/);
    assert.equal(auth.authorize(identity, { roles: ['admin', 'reader'] }), undefined);
    assert.equal(auth.authorize(identity, {}), undefined);
  });

  test('check() = authenticate + authorize', async () => {
    const result = await auth.check(bearer(hsToken(goodClaims({ exp: 1 }))), { roles: ['admin'] });
    assert.ok(isAuthFailure(result));
    assert.equal(result.problem.code, 'unauthenticated');
    const forbidden = await auth.check(bearer(hsToken()), { roles: ['admin'] });
    assert.ok(isAuthFailure(forbidden));
    assert.equal(forbidden.problem.code, 'forbidden');
  });

  test('a token and an API key together are refused as ambiguous (400)', async () => {
    const result = await auth.authenticate({ ...bearer(hsToken()), 'x-api-key': 'flk_whatever' });
    assert.ok(isAuthFailure(result));
    assert.equal(result.problem.code, 'bad-request');
    assert.match(result.wwwAuthenticate ?? '', /error="invalid_request"/);
  });
});

describe('JWT: a token verified once is remembered, never past what it allows', () => {
  function clocked(): { auth: Authenticator; now: { ms: number } } {
    const now = { ms: Date.now() };
    const settings = parseAuthSettings({
      jwt: {
        issuer: 'https://issuer.test',
        audience: 'flotilla',
        algorithms: ['HS256'],
        secret: SECRET,
        clockSkewSeconds: 0,
      },
    });
    return { auth: new Authenticator(settings, { clock: () => now.ms }), now };
  }

  test('the same token is accepted again until its expiry, then refused as expired', async () => {
    const { auth, now } = clocked();
    const exp = Math.floor(now.ms / 1000) + 30;
    const token = hsToken(goodClaims({ exp }));
    assert.equal(accepted(await auth.authenticate(bearer(token))).subject, 'ada');
    assert.equal(accepted(await auth.authenticate(bearer(token))).subject, 'ada');
    now.ms = exp * 1000;
    refused(await auth.authenticate(bearer(token)), 'The access token expired');
  });

  test('checkNow answers a token verified before without a promise, until its expiry; an unseen token is left to check()', async () => {
    const { auth, now } = clocked();
    const exp = Math.floor(now.ms / 1000) + 30;
    const token = hsToken(goodClaims({ exp }));
    assert.equal(auth.checkNow(bearer(token), { roles: ['reader'] }), undefined);
    accepted(await auth.check(bearer(token), { roles: ['reader'] }));
    const known = auth.checkNow(bearer(token), { roles: ['reader'] });
    assert.ok(known !== undefined);
    assert.equal(accepted(known).subject, 'ada');
    const forbidden = auth.checkNow(bearer(token), { roles: ['admin'] });
    assert.ok(forbidden !== undefined && isAuthFailure(forbidden));
    assert.equal(forbidden.problem.code, 'forbidden');
    now.ms = exp * 1000;
    assert.equal(auth.checkNow(bearer(token), { roles: ['reader'] }), undefined);
  });

  test('a date claim that is not a number makes the token malformed', async () => {
    refused(await auth.authenticate(bearer(hsToken(goodClaims({ exp: String(nowSeconds() + 60) })))), 'The access token is malformed');
    refused(await auth.authenticate(bearer(hsToken(goodClaims({ nbf: 'now' })))), 'The access token is malformed');
  });

  test('new settings forget what the old ones accepted', async () => {
    const { auth } = clocked();
    const token = hsToken();
    accepted(await auth.authenticate(bearer(token)));
    auth.update(
      parseAuthSettings({
        jwt: {
          issuer: 'https://issuer.test',
          audience: 'flotilla',
          algorithms: ['HS256'],
          secret: 'another-secret-of-at-least-32-bytes!!',
        },
      }),
    );
    refused(await auth.authenticate(bearer(token)), 'The token signature is invalid');
  });

  test('a token that differs only in its signature is checked on its own', async () => {
    const { auth } = clocked();
    const token = hsToken();
    accepted(await auth.authenticate(bearer(token)));
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    refused(await auth.authenticate(bearer(`${token.slice(0, -2)}${last}${token.at(-1)}`)), 'The token signature is invalid');
  });
});
