import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageReferenceError, parseImageReference } from '../../../src/admission/image-reference.ts';

const SHA256 = 'a'.repeat(64);

test('well-formed references are split into registry, path, tag and digest', () => {
  assert.deepEqual(parseImageReference('nginx'), { path: 'nginx' });
  assert.deepEqual(parseImageReference('flotilla/users:0.1.0'), { path: 'flotilla/users', tag: '0.1.0' });
  assert.deepEqual(parseImageReference('registry.example.com:5000/team/app-x__y.z:v1_2-3'), {
    registry: 'registry.example.com:5000',
    path: 'team/app-x__y.z',
    tag: 'v1_2-3',
  });
  assert.deepEqual(parseImageReference(`localhost/app@sha256:${SHA256}`), {
    registry: 'localhost',
    path: 'app',
    digest: `sha256:${SHA256}`,
  });
  assert.deepEqual(parseImageReference(`ghcr.io/o/r:1@sha512:${'0'.repeat(128)}`), {
    registry: 'ghcr.io',
    path: 'o/r',
    tag: '1',
    digest: `sha512:${'0'.repeat(128)}`,
  });
  assert.deepEqual(parseImageReference('[::1]:5000/app:1'), { registry: '[::1]:5000', path: 'app', tag: '1' });
  assert.deepEqual(
    parseImageReference('Registry/app'),
    { registry: 'Registry', path: 'app' },
    'an upper-case first component is a registry',
  );
  assert.deepEqual(parseImageReference('a/b/c/d'), { path: 'a/b/c/d' });
});

test('malformed references are refused with a message naming the part that is wrong', () => {
  const cases: [string, RegExp][] = [
    ['', /it is empty/],
    ['app :1', /white space/],
    ['Flotilla/Users:1', /component "Users" .*upper-case letters are not allowed/],
    ['flotilla//users', /empty component/],
    ['flotilla/users/', /empty component/],
    ['flotilla/-users', /component "-users" must be lower-case letters and digits/],
    ['app:', /the tag "" must be 1 to 128/],
    ['app:.hidden', /the tag ".hidden"/],
    [`app:${'x'.repeat(129)}`, /the tag "x+" must be 1 to 128/],
    ['app@sha256:abc', /the sha256 digest must be 64 lower-case hex digits \(got 3 characters/],
    [`app@sha256:${'A'.repeat(64)}`, /the sha256 digest must be 64 lower-case hex digits/],
    [`app@md5:${'a'.repeat(32)}`, /must be sha256:, sha384: or sha512:/],
    [`app@sha256:${SHA256}@sha256:${SHA256}`, /more than one "@"/],
    ['my_registry.io/app', /the registry host "my_registry.io" must be DNS labels/],
    ['registry.io:99999/app', /the registry port "99999" must be a number from 1 to 65535/],
    ['registry.io:port/app', /the registry port "port"/],
    ['[zz]:5000/app', /"\[zz\]" is not an IPv6 address/],
    [`${'a'.repeat(256)}`, /256 characters long \(at most 255\)/],
  ];
  for (const [image, message] of cases) {
    assert.throws(
      () => parseImageReference(image),
      (error: unknown) => {
        assert.ok(error instanceof ImageReferenceError, image);
        assert.equal(error.code, 'invalid-image-reference');
        assert.match(error.message, new RegExp(`^image "${image.replace(/[[\]().*+?^$|\\]/g, '\\$&')}" is not a valid reference: `));
        assert.match(error.message, message, image);
        return true;
      },
    );
  }
});
