// The webhook's checks and answers, with the objects a namespace holds given as a table
// (the API server's answers to the same lookups are exercised in test/integration/admission).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceType } from '@flotilla/kube';
import { checkMicroservice, type LookedUp, type Lookup } from '../../../src/admission/checks.ts';
import { allow, deny, MalformedReviewError, readReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import type { Microservice } from '../../../src/microservice/types.ts';

function table(objects: Record<string, LookedUp>): Lookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (type: ResourceType, namespace: string, name: string) => {
    asked.push(`${type.kind}/${namespace}/${name}`);
    if (name === 'unreachable') throw new Error('connect ECONNREFUSED');
    return objects[`${type.kind}/${namespace}/${name}`];
  };
  return Object.assign(lookup, { asked });
}

const secret = (name: string, keys: string[]): LookedUp => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'shop' },
  data: Object.fromEntries(keys.map((key) => [key, 'eA=='])),
});

const ms = (spec: Record<string, unknown>): Microservice =>
  ({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'Microservice', metadata: { name: 'orders', namespace: 'shop' }, spec }) as Microservice;

const objects = {
  'Secret/shop/db': secret('db', ['url']),
  'ConfigMap/shop/extra': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' } },
  'Database/shop/orders-db': { apiVersion: 'flotilla.dev/v1alpha1', kind: 'Database', metadata: { name: 'orders-db' } },
};

test('everything referenced exists: no problem', async () => {
  const findings = await checkMicroservice(
    'shop',
    ms({
      image: 'flotilla/orders:1',
      env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'url' } }],
      config: { configMapRef: { name: 'extra' } },
      database: { name: 'orders-db' },
    }),
    undefined,
    table(objects),
  );
  assert.deepEqual(findings, { problems: [], warnings: [] });
});

test('each missing object, a missing key and a malformed image are a problem of their own field, in spec order', async () => {
  const findings = await checkMicroservice(
    'shop',
    ms({
      image: 'Flotilla/Orders',
      env: [
        { name: 'A', value: 'x' },
        { name: 'DB', secretKeyRef: { name: 'db', key: 'password' } },
        { name: 'TOKEN', secretKeyRef: { name: 'token', key: 'value' } },
      ],
      config: { configMapRef: { name: 'nope' } },
      database: { name: 'missing-db' },
    }),
    undefined,
    table(objects),
  );
  assert.deepEqual(
    findings.problems.map((p) => [p.field, p.reason, p.message]),
    [
      [
        'spec.image',
        'FieldValueInvalid',
        'image "Flotilla/Orders" is not a valid reference: the repository path component "Orders" must be lower-case letters and digits, separated by ".", "_", "__" or "-" (upper-case letters are not allowed)',
      ],
      ['spec.env[1].secretKeyRef.key', 'FieldValueNotFound', 'Secret "db" in namespace "shop" has no key "password"'],
      ['spec.env[2].secretKeyRef.name', 'FieldValueNotFound', 'Secret "token" not found in namespace "shop": create it first'],
      ['spec.config.configMapRef.name', 'FieldValueNotFound', 'ConfigMap "nope" not found in namespace "shop": create it first'],
      ['spec.database.name', 'FieldValueNotFound', 'Database "missing-db" not found in namespace "shop": create it first'],
    ],
  );
});

test('without spec.database nothing is looked up for it', async () => {
  const lookup = table(objects);
  await checkMicroservice('shop', ms({ image: 'app:1' }), undefined, lookup);
  assert.deepEqual(lookup.asked, []);
});

test('an update checks only what changed: a Secret deleted since does not block an unrelated edit', async () => {
  const before = ms({ image: 'app:1', env: [{ name: 'GONE', secretKeyRef: { name: 'deleted-since', key: 'k' } }] });
  const after = ms({ image: 'app:2', env: [{ name: 'GONE', secretKeyRef: { name: 'deleted-since', key: 'k' } }] });
  const lookup = table(objects);
  assert.deepEqual((await checkMicroservice('shop', after, before, lookup)).problems, []);
  assert.deepEqual(lookup.asked, []);
  const renamed = ms({ image: 'app:2', env: [{ name: 'GONE', secretKeyRef: { name: 'other', key: 'k' } }] });
  assert.equal((await checkMicroservice('shop', renamed, before, lookup)).problems.length, 1);
});

test('a lookup that fails is a warning, not a denial; an unpinned image is a warning', async () => {
  const findings = await checkMicroservice(
    'shop',
    ms({ image: 'app', env: [{ name: 'X', secretKeyRef: { name: 'unreachable', key: 'k' } }] }),
    undefined,
    table(objects),
  );
  assert.deepEqual(findings.problems, []);
  assert.match(findings.warnings[0]!, /spec.image "app" names no fixed version/);
  assert.match(
    findings.warnings[1]!,
    /could not check that Secret "unreachable" \(spec.env\[0\].secretKeyRef.name\) exists: connect ECONNREFUSED/,
  );
});

const request: AdmissionRequest = {
  uid: 'u-1',
  kind: { group: 'flotilla.dev', version: 'v1alpha1', kind: 'Microservice' },
  resource: { group: 'flotilla.dev', version: 'v1alpha1', resource: 'microservices' },
  operation: 'CREATE',
  name: 'orders',
  namespace: 'shop',
};

test('AdmissionReview v1: a denial is 422 Invalid with every problem in the message and as a cause', () => {
  const review = deny(request, [
    { field: 'spec.image', reason: 'FieldValueInvalid', message: 'bad' },
    { field: 'spec.database.name', reason: 'FieldValueNotFound', message: 'gone' },
  ]);
  assert.deepEqual(review, {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: 'u-1',
      allowed: false,
      status: {
        code: 422,
        reason: 'Invalid',
        message: 'spec.image: bad; spec.database.name: gone',
        details: {
          name: 'orders',
          group: 'flotilla.dev',
          kind: 'Microservice',
          causes: [
            { reason: 'FieldValueInvalid', field: 'spec.image', message: 'bad' },
            { reason: 'FieldValueNotFound', field: 'spec.database.name', message: 'gone' },
          ],
        },
      },
    },
  });
  assert.deepEqual(allow(request, ['careful']).response, { uid: 'u-1', allowed: true, warnings: ['careful'] });
  assert.deepEqual(allow(request).response, { uid: 'u-1', allowed: true });
});

test('a body that is not an AdmissionReview v1 request is refused', () => {
  assert.equal(readReview({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }), request);
  for (const body of [
    null,
    'text',
    { kind: 'Pod' },
    { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request },
    { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
    { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { ...request, uid: '' } },
  ]) {
    assert.throws(() => readReview(body), MalformedReviewError, JSON.stringify(body));
  }
});
