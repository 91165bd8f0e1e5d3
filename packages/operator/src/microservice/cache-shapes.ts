// What the Microservice controller keeps of each cached object: exactly the fields its
// readers use, so 5000 Microservices (25 000 cached objects) fit the operator's memory
// budget. managedFields, most annotations, server defaults and most of the status go.
//
// Readers, and what they read:
// - the runtime: metadata.name/namespace (cache key), resourceVersion (relist diff),
//   generation and deletionTimestamp (update filter), ownerReferences (owner → key, index);
// - reconciler.ts: the Microservice's spec, status, uid, generation, deletionTimestamp; an
//   HPA's controlling owner's uid;
// - render.ts (controllerReference) and the EventRecorder: apiVersion, kind, name, uid,
//   resourceVersion of the Microservice;
// - drift.ts: of an owned object its labels, ownerReferences (uid) and every field render.ts
//   sets (DEPLOYMENT_SPEC below; a unit test checks it against render's output);
// - status.ts: the Deployment's spec.replicas, metadata.generation and the status fields below;
// - database/bindings.ts: the Microservice's spec.database (in spec).
import { type CacheTransform, type KubeObject, keepOnly, type Shape } from '@flotilla/kube';

const OWNED_METADATA: Shape = {
  name: true,
  namespace: true,
  resourceVersion: true,
  generation: true,
  labels: true,
  ownerReferences: true,
};

/** Every field renderDeployment can set under spec (and nothing the API server adds). */
export const DEPLOYMENT_SPEC: Shape = {
  replicas: true,
  selector: true,
  strategy: true,
  template: {
    metadata: { labels: true, annotations: true },
    spec: {
      containers: {
        name: true,
        image: true,
        ports: true,
        envFrom: true,
        env: true,
        livenessProbe: { httpGet: { path: true, port: true }, initialDelaySeconds: true, periodSeconds: true, failureThreshold: true },
        readinessProbe: { httpGet: { path: true, port: true }, initialDelaySeconds: true, periodSeconds: true, failureThreshold: true },
        resources: true,
        lifecycle: true,
        securityContext: true,
        volumeMounts: true,
      },
      terminationGracePeriodSeconds: true,
      securityContext: true,
      volumes: true,
      serviceAccountName: true,
      enableServiceLinks: true,
    },
  },
};

/** What status.ts reads of a Deployment's status. */
const DEPLOYMENT_STATUS: Shape = {
  observedGeneration: true,
  readyReplicas: true,
  updatedReplicas: true,
  availableReplicas: true,
  conditions: { type: true, status: true, reason: true, message: true },
};

export const MICROSERVICE_SHAPE = {
  apiVersion: true,
  kind: true,
  metadata: { name: true, namespace: true, uid: true, resourceVersion: true, generation: true, deletionTimestamp: true },
  spec: true,
  status: true,
} as const satisfies Shape;

/** Per owned kind: its metadata as above, and the body fields render.ts sets (status.ts: the Deployment's status). */
export const OWNED_SHAPES = {
  ConfigMap: { metadata: OWNED_METADATA, data: true },
  Deployment: { metadata: OWNED_METADATA, spec: DEPLOYMENT_SPEC, status: DEPLOYMENT_STATUS },
  Service: { metadata: OWNED_METADATA, spec: { type: true, selector: true, ports: true } },
  PodDisruptionBudget: { metadata: OWNED_METADATA, spec: { maxUnavailable: true, selector: true } },
  HorizontalPodAutoscaler: {
    metadata: OWNED_METADATA,
    spec: { scaleTargetRef: true, minReplicas: true, maxReplicas: true, metrics: true },
  },
} as const satisfies Record<string, Shape>;

export function microserviceCacheTransforms(): { primary: CacheTransform; owned: Record<string, CacheTransform> } {
  return {
    primary: keepOnly<KubeObject>(MICROSERVICE_SHAPE),
    owned: Object.fromEntries(Object.entries(OWNED_SHAPES).map(([kind, shape]) => [kind, keepOnly<KubeObject>(shape)])),
  };
}
