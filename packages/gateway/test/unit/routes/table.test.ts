/** Route table compilation: patterns, templates, precedence and the problems a bad table reports. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '@flotilla/config';
import { compileRouteTable, GatewayConfig, type GatewaySettings } from '../../../src/index.ts';
import { parseAgainstSchema } from '@flotilla/config';

function settings(input: Record<string, unknown>): GatewaySettings {
  return parseAgainstSchema('gateway', 'test', GatewayConfig, input);
}

const upstreams = { users: { instances: ['http://127.0.0.1:1'] }, orders: { instances: ['http://127.0.0.1:2'] } };

describe('route table', () => {
  test('the most specific pattern wins regardless of file order', () => {
    const table = compileRouteTable(
      settings({
        upstreams,
        routes: [
          { name: 'catch-all', path: '/api/**', upstream: 'orders' },
          { name: 'users', path: '/api/users/**', upstream: 'users', stripPrefix: '/api' },
          { name: 'one-user', path: '/api/users/:id', upstream: 'users', stripPrefix: '/api' },
        ],
        aggregations: [
          {
            name: 'profile',
            path: '/api/users/:id/profile',
            parts: { user: { upstream: 'users', path: '/users/{id}', required: true } },
          },
        ],
      }),
      1,
      'test',
    );
    const routeFor = (path: string): string | undefined => {
      const found = table.lookup('GET', path);
      return found.found === 'route' ? found.route.name : undefined;
    };
    assert.equal(routeFor('/api/users/7'), 'one-user');
    assert.equal(routeFor('/api/users/7/profile'), 'profile');
    assert.equal(routeFor('/api/users/7/orders'), 'users');
    assert.equal(routeFor('/api/users'), 'users', '** also matches nothing');
    assert.equal(routeFor('/api/usersx'), 'catch-all', 'prefixes match whole segments only');
    assert.equal(routeFor('/other'), undefined);
  });

  test('strip, rewrite and captured parameters produce the upstream path', () => {
    const table = compileRouteTable(
      settings({
        upstreams,
        routes: [
          { name: 'strip', path: '/api/users/**', upstream: 'users', stripPrefix: '/api' },
          {
            name: 'rewrite',
            path: '/v1/shop/:shop/orders/**',
            upstream: 'orders',
            rewrite: '/shops/{shop}/orders{**}',
          },
        ],
      }),
      1,
      'test',
    );
    const upstreamPath = (path: string): string => {
      const found = table.lookup('GET', path);
      assert.equal(found.found, 'route');
      if (found.found !== 'route' || found.route.kind !== 'proxy') throw new Error('not a proxy route');
      return found.route.upstreamPath(path, found.match);
    };
    assert.equal(upstreamPath('/api/users/1'), '/users/1');
    assert.equal(upstreamPath('/v1/shop/s%201/orders/9/items'), '/shops/s%201/orders/9/items', 'captured values stay percent-encoded');
    assert.equal(upstreamPath('/v1/shop/s1/orders'), '/shops/s1/orders');
  });

  test('methods: another route for the same path may serve other methods; none left is 405 with the allowed ones', () => {
    const table = compileRouteTable(
      settings({ upstreams, routes: [{ path: '/api/hello/**', upstream: 'users', methods: ['GET', 'HEAD'] }] }),
      1,
      'test',
    );
    assert.equal(table.lookup('GET', '/api/hello/x').found, 'route');
    assert.deepEqual(table.lookup('POST', '/api/hello/x'), { found: 'method-not-allowed', allow: ['GET', 'HEAD'] });
  });

  test('every cross-reference problem is reported at once', () => {
    assert.throws(
      () =>
        compileRouteTable(
          settings({
            upstreams,
            routes: [
              { name: 'dup', path: '/a/**', upstream: 'nobody' },
              { name: 'dup', path: '/b/**/c', upstream: 'users' },
              { path: '/c/:id', upstream: 'users', rewrite: '/c/{other}' },
              { path: '/d/**', upstream: 'users', stripPrefix: '/e' },
              { path: '/f/:id', upstream: 'users', rewrite: '/f{**}' },
            ],
            aggregations: [{ name: 'agg', path: '/g/:id', parts: { x: { upstream: 'ghost', path: '/x/{nope}' } } }],
          }),
          1,
          'test',
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((p) => p.key),
          [
            'aggregations.0.parts.x.upstream',
            'aggregations.0.parts.x.path',
            'routes.0.upstream',
            'routes.1.name',
            'routes.1.path',
            'routes.2.rewrite',
            'routes.3.stripPrefix',
            'routes.4.rewrite',
          ],
        );
        return true;
      },
    );
  });

  test('the schema rejects unknown keys, bad methods and bad origins', () => {
    assert.throws(
      () =>
        settings({
          upstreams: { users: { instances: ['ftp://x'] } },
          routes: [{ path: 'no-slash', upstream: 'users', methods: ['FETCH'], retries: 3 }],
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems.map((p) => p.key).sort(), [
          'routes.0.methods.0',
          'routes.0.path',
          'routes.0.retries',
          'upstreams.users.instances.0',
        ]);
        return true;
      },
    );
  });
});
