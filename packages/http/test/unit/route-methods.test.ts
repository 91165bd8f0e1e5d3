/** The route table behind 405's `Allow`: find-my-way's pattern syntax, matched against concrete paths. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRoutePattern, RouteMethods } from '../../src/route-methods.ts';

test('patterns match the paths the router would route to them, and only those', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['/users', ['/users'], ['/users/', '/users/1', '/Users', '/usersx']],
    ['/users/:id', ['/users/1', '/users/a-b.c'], ['/users/', '/users/1/x', '/users']],
    ['/users/:id/profile', ['/users/1/profile'], ['/users/1/profiles', '/users//profile']],
    ['/files/:name.png', ['/files/cat.png'], ['/files/cat.gif', '/files/.png']],
    ['/at/:hour-:minute', ['/at/10-30'], ['/at/1030']],
    ['/n/:id(^\\d+$)', ['/n/42'], ['/n/4x2', '/n/']],
    ['/time::now', ['/time:now'], ['/time/now']],
    ['/static/*', ['/static/', '/static/a/b/c.css'], ['/stati']],
    ['/a.b+c', ['/a.b+c'], ['/aXb+c', '/a.bbc']],
  ];
  for (const [pattern, matching, other] of cases) {
    const matcher = compileRoutePattern(pattern);
    for (const path of matching) assert.ok(matcher.test(path), `${pattern} matches ${path}`);
    for (const path of other) assert.ok(!matcher.test(path), `${pattern} does not match ${path}`);
  }
});

test('the allowed methods of every matching pattern, sorted, with HEAD wherever GET is', () => {
  const routes = new RouteMethods();
  routes.add('/users/:id', ['GET']);
  routes.add('/users/:id', ['PUT', 'delete']);
  routes.add('/users/me', ['POST']);
  routes.add('/users', ['GET', 'POST']);
  assert.deepEqual(routes.allowed('/users/42'), ['DELETE', 'GET', 'HEAD', 'PUT']);
  assert.deepEqual(routes.allowed('/users/me'), ['DELETE', 'GET', 'HEAD', 'POST', 'PUT']);
  assert.deepEqual(routes.allowed('/users'), ['GET', 'HEAD', 'POST']);
  assert.deepEqual(routes.allowed('/orders'), []);
});

test('static text is compared with the decoded path too, as the router does', () => {
  const routes = new RouteMethods();
  routes.add('/users/:id', ['GET']);
  assert.deepEqual(routes.allowed('/%75sers/1'), ['GET', 'HEAD']);
  assert.deepEqual(routes.allowed('/%zz/1'), []);
});
