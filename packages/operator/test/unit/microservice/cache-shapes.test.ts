// The Microservice controller's cache transforms keep what the reconciler reads: an owned
// object as the API server returns it (defaults, managedFields, last-applied annotation,
// full status) and the same object after the transform give the same drift and status
// answers, for every field render.ts can set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KubeObject, LAST_APPLIED_ANNOTATION } from '@flotilla/kube';
import { microserviceCacheTransforms } from '../../../src/microservice/cache-shapes.ts';
import { hasDrifted } from '../../../src/microservice/drift.ts';
import { renderAll } from '../../../src/microservice/render.ts';
import { computeStatus } from '../../../src/microservice/status.ts';
import type { Microservice } from '../../../src/microservice/types.ts';
import { controllerReference } from '../../../src/runtime/owners.ts';

const base = (name: string, spec: Partial<Microservice['spec']>): Microservice => ({
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation: 3, resourceVersion: '77' },
  spec: { image: `example/${name}:1`, ...spec },
  status: { observedGeneration: 2, conditions: [] },
});

/** Every optional field set: what render.ts can write. */
const everything = base('orders', {
  replicas: 3,
  ports: { http: 8080, grpc: 9090, metrics: 9464 },
  config: { namespace: 'prod', inline: { LOG_LEVEL: 'debug' }, configMapRef: { name: 'shared' } },
  env: [
    { name: 'A', value: '1' },
    { name: 'TOKEN', secretKeyRef: { name: 'tokens', key: 'orders' } },
  ],
  database: { name: 'orders', env: 'ORDERS_DSN' },
  serviceAccountName: 'orders',
  shutdown: { preStopDelaySeconds: 7, terminationGracePeriodSeconds: 40 },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  probes: {
    liveness: { path: '/live', initialDelaySeconds: 2, periodSeconds: 5, failureThreshold: 4 },
    readiness: { path: '/ready', initialDelaySeconds: 1, periodSeconds: 3, failureThreshold: 2 },
  },
  rollout: { strategy: 'RollingUpdate', maxSurge: '1', maxUnavailable: '0%' },
});
const autoscaled = base('search', {
  autoscaling: { minReplicas: 2, maxReplicas: 9, targetCPUUtilizationPercentage: 60 },
  rollout: { strategy: 'Recreate' },
});
const secret = { name: 'orders-db-credentials', key: 'dsn', hash: 'abc123' };

/** Drops zero numbers, as the API server leaves out omitempty fields that are 0. */
function withoutZeros(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutZeros);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => !(v === 0 && ZERO_OMITTED.has(key)))
      .map(([key, v]) => [key, withoutZeros(v)]),
  );
}
/** int32 fields of the objects we render that the API server omits when 0 */
const ZERO_OMITTED = new Set(['initialDelaySeconds', 'timeoutSeconds', 'containerPort', 'port']);

/** What the API server adds to what we applied (and the zeros it leaves out). */
function asServed(desired: KubeObject & Record<string, unknown>): KubeObject & Record<string, unknown> {
  const live = withoutZeros(structuredClone(desired)) as KubeObject & Record<string, unknown> & { spec?: Record<string, unknown> };
  Object.assign(live.metadata, {
    uid: 'uid-owned',
    resourceVersion: '501',
    generation: 4,
    creationTimestamp: '2026-01-01T00:00:00Z',
    annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(desired), 'deployment.kubernetes.io/revision': '2' },
    managedFields: [
      { manager: 'flotilla-operator', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } },
    ],
  });
  if (desired.kind === 'Deployment') {
    const spec = live.spec as { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } & Record<
      string,
      unknown
    >;
    Object.assign(spec, { revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    Object.assign(spec.template.spec, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' });
    for (const container of spec.template.spec.containers) {
      Object.assign(container, { terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent' });
      for (const probe of ['livenessProbe', 'readinessProbe'])
        Object.assign(container[probe] as object, { timeoutSeconds: 1, successThreshold: 1 });
    }
    live.status = {
      observedGeneration: 4,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: 'ok',
          lastUpdateTime: '2026-01-01T00:00:00Z',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
  }
  if (desired.kind === 'Service') Object.assign(live.spec!, { clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], sessionAffinity: 'None' });
  return live;
}

const { primary, owned } = microserviceCacheTransforms();
const plain = base('plain', {});
const rendered = [...renderAll(everything, secret), ...renderAll(autoscaled), ...renderAll(plain)];

test('every object render.ts makes is, trimmed, still no drift; bookkeeping is gone', () => {
  assert.deepEqual(new Set(rendered.map((d) => d.type.kind)), new Set(Object.keys(owned)));
  for (const desired of rendered) {
    const served = asServed(desired.object);
    const kept = owned[desired.type.kind]!(served) as KubeObject & Record<string, unknown>;
    assert.equal(hasDrifted(desired.object, served), false, `${desired.type.kind} as served`);
    assert.equal(hasDrifted(desired.object, kept), false, `${desired.type.kind} as cached`);
    assert.equal('managedFields' in kept.metadata, false, `${desired.type.kind}: no managedFields`);
    assert.equal(kept.metadata.annotations, undefined, `${desired.type.kind}: no annotations`);
    assert.ok(JSON.stringify(kept).length < JSON.stringify(served).length);
  }
});

test('a trimmed object still shows drift in any field we set', () => {
  const desired = rendered.find((d) => d.type.kind === 'Deployment')!;
  const cached = (obj: KubeObject) => owned.Deployment!(obj) as unknown as Record<string, unknown>;
  const served = asServed(desired.object) as unknown as KubeObject & {
    spec: { template: { spec: { containers: { image: string }[] } } };
  };
  served.spec.template.spec.containers[0]!.image = 'someone/else:9';
  assert.equal(hasDrifted(desired.object, cached(served)), true);
  const relabelled = asServed(desired.object);
  relabelled.metadata.labels = { ...relabelled.metadata.labels, 'app.kubernetes.io/managed-by': 'someone' };
  assert.equal(hasDrifted(desired.object, cached(relabelled)), true);
  const orphaned = asServed(desired.object);
  orphaned.metadata.ownerReferences = [];
  assert.equal(hasDrifted(desired.object, cached(orphaned)), true);
});

test('the status computed from a trimmed Deployment is the one computed from the whole', () => {
  const desired = rendered.find((d) => d.type.kind === 'Deployment')!;
  const served = asServed(desired.object);
  const now = new Date('2026-02-02T00:00:00Z');
  assert.deepEqual(
    computeStatus({ ms: everything, deployment: owned.Deployment!(served) }, now),
    computeStatus({ ms: everything, deployment: served }, now),
  );
});

test('a trimmed Microservice keeps its spec, status and what owner references and events need', () => {
  const served = {
    ...structuredClone(everything),
    metadata: {
      ...everything.metadata,
      labels: { team: 'a' },
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    },
  } as Microservice;
  const kept = primary(served) as Microservice;
  assert.deepEqual(kept.spec, everything.spec);
  assert.deepEqual(kept.status, everything.status);
  assert.deepEqual(kept.metadata, everything.metadata);
  assert.deepEqual(controllerReference(kept), controllerReference(served));
  assert.equal(kept.apiVersion, 'flotilla.dev/v1alpha1');
});
