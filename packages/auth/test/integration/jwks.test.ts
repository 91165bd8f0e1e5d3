import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Authenticator, isAuthFailure, parseAuthSettings, type AuthenticateResult } from '@flotilla/http';
import { eventually, mintJwt } from '@flotilla/testing';
import { ecKey, goodClaims, JwksServer, ManualClock, rsaKey, tokenFor } from '@flotilla/testing';

const server = new JwksServer();
let url = '';
before(async () => {
  url = await server.start();
});
after(() => server.stop());

function reset(keys: Array<Record<string, unknown>>): void {
  server.keys = keys;
  server.cacheControl = undefined;
  server.status = 200;
  server.requests = 0;
}

function authenticator(clock: ManualClock, jwks: Record<string, unknown> = {}): Authenticator {
  const settings = parseAuthSettings({
    jwt: {
      issuer: 'https://issuer.test',
      audience: 'flotilla',
      algorithms: ['RS256', 'ES256'],
      jwks: { url, ...jwks },
    },
  });
  return new Authenticator(settings, { clock: clock.read });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function outcome(result: AuthenticateResult): string {
  if (!isAuthFailure(result)) return `ok:${result.identity?.subject}`;
  return `${result.problem.code}:${result.problem.message}`;
}

const rsa1 = rsaKey('rsa-1');
const rsa2 = rsaKey('rsa-2');
const ec1 = ecKey('ec-1');

describe('JWKS', () => {
  test('RS256 and ES256 tokens verify against the fetched set, which is fetched once', async () => {
    reset([rsa1.jwk, ec1.jwk]);
    const auth = authenticator(new ManualClock());
    const results = await Promise.all(
      [tokenFor(rsa1), tokenFor(ec1), tokenFor(rsa1), tokenFor(ec1)].map((t) => auth.authenticate(bearer(t))),
    );
    assert.deepEqual(results.map(outcome), ['ok:ada', 'ok:ada', 'ok:ada', 'ok:ada']);
    assert.equal(server.requests, 1);
  });

  test('key rotation: a new kid is accepted after one refetch, the retired key is refused', async () => {
    reset([rsa1.jwk]);
    const clock = new ManualClock();
    const auth = authenticator(clock);
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada');

    server.keys = [rsa2.jwk];
    clock.advance(10); // the refetch cooldown
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa2)))), 'ok:ada');
    assert.equal(server.requests, 2);
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'unauthenticated:The token is signed with an unknown key');
    assert.equal(server.requests, 2, 'the cooldown holds back another fetch');
  });

  test('a flood of unknown kids costs at most one fetch per cooldown', async () => {
    reset([rsa1.jwk]);
    const clock = new ManualClock();
    const auth = authenticator(clock, { refetchCooldownSeconds: 10 });
    await auth.authenticate(bearer(tokenFor(rsa1)));
    assert.equal(server.requests, 1);

    const flood = (): Promise<AuthenticateResult[]> =>
      Promise.all(
        Array.from({ length: 200 }, () =>
          auth.authenticate(bearer(mintJwt({ alg: 'RS256', kid: randomUUID() }, goodClaims(), rsa1.signer))),
        ),
      );
    for (const result of await flood()) assert.equal(outcome(result), 'unauthenticated:The token is signed with an unknown key');
    assert.equal(server.requests, 1, 'within the cooldown: no fetch at all');

    clock.advance(10);
    await flood();
    assert.equal(server.requests, 2, 'after the cooldown: exactly one, shared by all 200');
    clock.advance(5);
    await flood();
    assert.equal(server.requests, 2);
    // Known keys keep working throughout.
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada');
  });

  test('Cache-Control max-age sets the lifetime; the expired set is refreshed in the background', async () => {
    reset([rsa1.jwk]);
    server.cacheControl = 'public, max-age=120';
    const clock = new ManualClock();
    const auth = authenticator(clock, { cacheSeconds: 600, minCacheSeconds: 30 });
    await auth.authenticate(bearer(tokenFor(rsa1)));
    clock.advance(119);
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada');
    assert.equal(auth.jwksStats()?.fetches, 1);
    clock.advance(2);
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada', 'served from the stale set meanwhile');
    await eventually(() => server.requests === 2, { message: 'the background refresh' });
  });

  test('a token verified against the set is known without a promise until the set goes stale', async () => {
    reset([rsa1.jwk]);
    server.cacheControl = 'max-age=60';
    const clock = new ManualClock();
    const auth = authenticator(clock, { cacheSeconds: 600, minCacheSeconds: 30 });
    const token = tokenFor(rsa1);
    assert.equal(auth.authenticateNow(bearer(token)), undefined);
    assert.equal(outcome(await auth.authenticate(bearer(token))), 'ok:ada');
    const known = auth.authenticateNow(bearer(token));
    assert.equal(known === undefined ? 'unknown' : outcome(known), 'ok:ada');
    clock.advance(61);
    assert.equal(auth.authenticateNow(bearer(token)), undefined, 'stale keys: the token is checked again');
  });

  test('max-age is clamped to [minCacheSeconds, cacheSeconds], and no-store means the minimum', async () => {
    for (const [cacheControl, lifetime] of [
      ['max-age=86400', 600],
      ['max-age=1', 30],
      ['no-store', 30],
      [undefined, 600],
    ] as const) {
      reset([rsa1.jwk]);
      server.cacheControl = cacheControl;
      const clock = new ManualClock();
      const auth = authenticator(clock, { cacheSeconds: 600, minCacheSeconds: 30 });
      await auth.authenticate(bearer(tokenFor(rsa1)));
      assert.equal(auth.jwksStats()?.expiresAt, clock.now + lifetime * 1000, `${cacheControl}`);
    }
  });

  test('unreachable before the first fetch: 503, not 401; recovers after the cooldown', async () => {
    reset([rsa1.jwk]);
    server.status = 500;
    const clock = new ManualClock();
    const auth = authenticator(clock);
    const result = await auth.authenticate(bearer(tokenFor(rsa1)));
    assert.equal(outcome(result), 'unavailable:The token signing keys cannot be fetched right now');
    assert.ok(isAuthFailure(result) && result.wwwAuthenticate === undefined);

    server.status = 200;
    assert.equal(
      outcome(await auth.authenticate(bearer(tokenFor(rsa1)))),
      'unavailable:The token signing keys cannot be fetched right now',
    );
    assert.equal(server.requests, 1, 'no retry inside the cooldown');
    clock.advance(10);
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada');
  });

  test('unreachable after a successful fetch: the cached keys stay in use', async () => {
    reset([rsa1.jwk]);
    const clock = new ManualClock();
    const auth = authenticator(clock);
    await auth.authenticate(bearer(tokenFor(rsa1)));
    server.status = 503;
    clock.advance(601);
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada');
    await eventually(() => auth.jwksStats()?.failures === 1, { message: 'the failed refresh' });
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa1)))), 'ok:ada');
  });

  test('keys that must not verify are skipped: short RSA, encryption keys, symmetric keys, mislabelled alg', async () => {
    const weak = rsaKey('weak', 1024);
    const mislabelled = ecKey('mislabelled');
    reset([
      weak.jwk,
      { ...rsa1.jwk, kid: 'enc', use: 'enc' },
      { kty: 'oct', kid: 'oct', k: 'c2VjcmV0' },
      { ...mislabelled.jwk, alg: 'RS256' },
      rsa2.jwk,
    ]);
    const auth = authenticator(new ManualClock());
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(weak)))), 'unauthenticated:The token is signed with an unknown key');
    assert.equal(
      outcome(await auth.authenticate(bearer(mintJwt({ alg: 'RS256', kid: 'enc' }, goodClaims(), rsa1.signer)))),
      'unauthenticated:The token is signed with an unknown key',
    );
    assert.equal(
      outcome(await auth.authenticate(bearer(tokenFor(mislabelled)))),
      'unauthenticated:The token is signed with an unknown key',
    );
    assert.equal(outcome(await auth.authenticate(bearer(tokenFor(rsa2)))), 'ok:ada');
    assert.equal(auth.jwksStats()?.keys, 1);
  });

  test('a token without kid is tried against every key of its algorithm', async () => {
    reset([rsa1.jwk, rsa2.jwk]);
    const auth = authenticator(new ManualClock());
    assert.equal(outcome(await auth.authenticate(bearer(mintJwt({ alg: 'RS256' }, goodClaims(), rsa2.signer)))), 'ok:ada');
  });
});
