// The Microservice custom resource (flotilla.dev/v1alpha1), as TypeBox schemas. The CRD's
// OpenAPI validation is generated from these (scripts: npm run generate:crds), so the
// types the reconciler uses and what the API server enforces cannot drift apart.
import { Type, type Static } from 'typebox';
import type { Condition } from '../runtime/conditions.ts';
import type { KubeObject } from '@flotilla/kube';

export const GROUP = 'flotilla.dev';
export const VERSION = 'v1alpha1';

const Port = (description: string, defaultValue?: number) =>
  Type.Integer({
    minimum: 1,
    maximum: 65535,
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });

const Quantity = Type.String({
  pattern: '^[0-9]+(\\.[0-9]+)?([mkMGTPE]|[KMGTPE]i)?$',
  description: 'a Kubernetes quantity, e.g. 250m or 256Mi',
});
const ResourceAmounts = Type.Object({ cpu: Type.Optional(Quantity), memory: Type.Optional(Quantity) });
const Probe = (path: string) =>
  Type.Object({
    path: Type.Optional(Type.String({ pattern: '^/', default: path, description: 'HTTP path probed on the http port' })),
    initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    periodSeconds: Type.Optional(Type.Integer({ minimum: 1, default: 10 })),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1, default: 3 })),
  });
const IntOrPercent = Type.String({ pattern: '^[0-9]+%?$', description: 'a count or a percentage, e.g. 1 or 25%' });

export const MicroserviceSpecSchema = Type.Object({
  image: Type.String({ minLength: 1, description: 'container image' }),
  // No schema default: defaulting runs before the CEL rules, and a defaulted replicas would
  // clash with autoscaling (replicas xor autoscaling); the Deployment gets 1 when unset.
  replicas: Type.Optional(Type.Integer({ minimum: 0, description: 'fixed replica count, 1 when unset; not allowed with autoscaling' })),
  autoscaling: Type.Optional(
    Type.Object(
      {
        minReplicas: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
        maxReplicas: Type.Integer({ minimum: 1 }),
        targetCPUUtilizationPercentage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 80 })),
      },
      { description: 'a HorizontalPodAutoscaler scales the Deployment between min and max' },
    ),
  ),
  ports: Type.Optional(
    Type.Object(
      {
        http: Type.Optional(Port('REST port (also serves /healthz, /readyz, /metrics)', 8080)),
        grpc: Type.Optional(Port('gRPC port')),
        metrics: Type.Optional(Port('separate metrics port, if any')),
      },
      { default: {} },
    ),
  ),
  config: Type.Optional(
    Type.Object(
      {
        namespace: Type.Optional(
          Type.String({
            pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
            default: 'dev',
            description: 'config-centre environment namespace (FLOTILLA_ENV)',
          }),
        ),
        inline: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'key/values written into the owned ConfigMap' })),
        configMapRef: Type.Optional(
          Type.Object({ name: Type.String({ minLength: 1 }) }, { description: 'an existing ConfigMap also loaded as environment' }),
        ),
      },
      { default: {} },
    ),
  ),
  env: Type.Optional(
    Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 256 }),
          value: Type.Optional(Type.String()),
          secretKeyRef: Type.Optional(
            Type.Object(
              { name: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) },
              { description: 'a key of a Secret in the same namespace (e.g. a database URL with its password)' },
            ),
          ),
        },
        {
          'x-kubernetes-validations': [
            { rule: 'has(self.value) != has(self.secretKeyRef)', message: 'set exactly one of value and secretKeyRef' },
          ],
        },
      ),
      // Bounds let the API server admit the CEL rule on unique names (its cost is estimated from them).
      { maxItems: 128 },
    ),
  ),
  database: Type.Optional(
    Type.Object(
      {
        name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, description: 'a Database in the same namespace' }),
        env: Type.Optional(
          Type.String({
            pattern: '^[A-Z_][A-Z0-9_]*$',
            maxLength: 256,
            description:
              'the variable that gets the DSN; default <NAME>_DATABASE_URL (users: USERS_DATABASE_URL), as config/<ns>/<name>.yaml reads it',
          }),
        ),
      },
      {
        description:
          'the Database whose DSN the Pods get (from its Secret); the Deployment waits until it is Ready, and a new password rolls the Pods',
      },
    ),
  ),
  serviceAccountName: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      description:
        "the Pods' ServiceAccount (the kubernetes discovery and config backends need read access: deploy/kubernetes/rbac); default the namespace's `default`",
    }),
  ),
  shutdown: Type.Optional(
    Type.Object(
      {
        preStopDelaySeconds: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: 60,
            default: 5,
            description:
              'before SIGTERM the Pod keeps serving this long, while its endpoint leaves the EndpointSlices and every caller stops picking it',
          }),
        ),
        terminationGracePeriodSeconds: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 600,
            default: 30,
            description: 'preStop delay plus drain; then SIGKILL',
          }),
        ),
      },
      { default: {} },
    ),
  ),
  resources: Type.Optional(Type.Object({ requests: Type.Optional(ResourceAmounts), limits: Type.Optional(ResourceAmounts) })),
  probes: Type.Optional(
    Type.Object(
      {
        liveness: Type.Optional(Probe('/healthz')),
        readiness: Type.Optional(Probe('/readyz')),
      },
      { default: {} },
    ),
  ),
  rollout: Type.Optional(
    Type.Object(
      {
        strategy: Type.Optional(Type.Union([Type.Literal('RollingUpdate'), Type.Literal('Recreate')], { default: 'RollingUpdate' })),
        maxSurge: Type.Optional(IntOrPercent),
        maxUnavailable: Type.Optional(IntOrPercent),
      },
      { default: {} },
    ),
  ),
});

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.String(),
  message: Type.String(),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  observedGeneration: Type.Optional(Type.Integer()),
});

export const MicroserviceStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  replicas: Type.Optional(Type.Integer()),
  readyReplicas: Type.Optional(Type.Integer()),
  updatedReplicas: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
});

export type MicroserviceSpec = Static<typeof MicroserviceSpecSchema>;
export type MicroserviceStatus = Static<typeof MicroserviceStatusSchema> & { conditions?: Condition[] };

export interface Microservice extends KubeObject {
  spec: MicroserviceSpec;
  status?: MicroserviceStatus;
}

export const ConditionTypes = {
  Available: 'Available',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  ReconcileError: 'ReconcileError',
  DatabaseReady: 'DatabaseReady',
} as const;

/** What a Microservice needs to know about the Database named in spec.database. */
export interface DatabaseBinding {
  ready: boolean;
  reason: string;
  message: string;
  /** the Secret with the DSN, once the Database has written it; hash: of its data */
  secret?: { name: string; key: string; hash: string };
}

/** Looks a Database up by namespace and name (the Database controller provides it). */
export type DatabaseBindings = (namespace: string, name: string) => DatabaseBinding;
