// The desired owned objects of a Microservice: pure functions of its spec, applied with
// server-side apply. Fields we do not set stay with whoever owns them (e.g. the HPA owns
// Deployment replicas when autoscaling is on, so we leave replicas out then).
import { createHash } from 'node:crypto';
import { apiVersionOf, type KubeObject, Resources, type ResourceType } from '@flotilla/kube';
import { controllerReference } from '../runtime/owners.ts';
import type { DatabaseBinding, Microservice } from './types.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'flotilla-operator';
export const MICROSERVICE_LABEL = 'flotilla.dev/microservice';
export const CONFIG_HASH_ANNOTATION = 'flotilla.dev/config-hash';
/** A digest of the Database Secret's data: a new password rolls the Pods. */
export const DATABASE_SECRET_HASH_ANNOTATION = 'flotilla.dev/database-secret-hash';

/** The non-root user of Flotilla's images, and their state directory (scripts/images). */
const IMAGE_UID = 65532;
const STATE_DIR = '/var/lib/flotilla';
const STATE_VOLUME = 'state';

export interface DesiredObject {
  type: ResourceType;
  object: KubeObject & Record<string, unknown>;
}

function meta(ms: Microservice, type: ResourceType, name: string) {
  return {
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    metadata: {
      name,
      namespace: ms.metadata.namespace,
      labels: {
        'app.kubernetes.io/name': ms.metadata.name!,
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [MICROSERVICE_LABEL]: ms.metadata.name!,
      },
      ownerReferences: [controllerReference(ms)],
    },
  };
}

export function configMapName(ms: Microservice): string {
  return `${ms.metadata.name}-config`;
}

function configData(ms: Microservice): Record<string, string> {
  return { FLOTILLA_ENV: ms.spec.config?.namespace ?? 'dev', ...(ms.spec.config?.inline ?? {}) };
}

function ports(ms: Microservice): { name: string; port: number }[] {
  const p = ms.spec.ports ?? {};
  const out = [{ name: 'http', port: p.http ?? 8080 }];
  if (p.grpc) out.push({ name: 'grpc', port: p.grpc });
  if (p.metrics) out.push({ name: 'metrics', port: p.metrics });
  return out;
}

/** The variable the config files read the DSN from: users → USERS_DATABASE_URL (config/prod/users.yaml). */
export function databaseEnvName(ms: Microservice): string {
  return ms.spec.database?.env ?? `${ms.metadata.name!.toUpperCase().replaceAll('-', '_')}_DATABASE_URL`;
}

function envVar(e: NonNullable<Microservice['spec']['env']>[number]): Record<string, unknown> {
  if (e.secretKeyRef) return { name: e.name, valueFrom: { secretKeyRef: { name: e.secretKeyRef.name, key: e.secretKeyRef.key } } };
  return { name: e.name, value: e.value ?? '' };
}

function probe(path: string, spec: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } | undefined) {
  const delay = spec?.initialDelaySeconds ?? 0;
  return {
    httpGet: { path, port: 'http' },
    // The API server leaves a zero delay out of what it returns: sent as 0 it would look
    // drifted on every reconcile, and every reconcile would apply the Deployment again.
    ...(delay > 0 ? { initialDelaySeconds: delay } : {}),
    periodSeconds: spec?.periodSeconds ?? 10,
    failureThreshold: spec?.failureThreshold ?? 3,
  };
}

function resources(ms: Microservice): Record<string, Record<string, string>> | undefined {
  const r = ms.spec.resources;
  if (!r) return undefined;
  const out: Record<string, Record<string, string>> = {};
  if (r.requests && Object.keys(r.requests).length) out.requests = { ...r.requests } as Record<string, string>;
  if (r.limits && Object.keys(r.limits).length) out.limits = { ...r.limits } as Record<string, string>;
  return Object.keys(out).length ? out : undefined;
}

/** The variable that caps `workers: auto` in a Flotilla service (packages/service/README.md, "Workers"). */
export const CPU_BUDGET_ENV = 'FLOTILLA_CPU_BUDGET';

/**
 * Whole CPUs the container may keep busy by its spec: its CPU limit, else its
 * request, rounded down, at least 1. A limit also reaches the process through
 * its cgroup; a request alone does not, and the node's every CPU is no budget
 * for a Pod whose memory was sized for its request.
 */
export function cpuBudget(ms: Microservice): number | undefined {
  const quantity = ms.spec.resources?.limits?.cpu ?? ms.spec.resources?.requests?.cpu;
  if (quantity === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(quantity));
  if (match === null) return undefined;
  const cpus = Number(match[1]) / (match[2] === 'm' ? 1000 : 1);
  return Math.max(1, Math.floor(cpus));
}

/**
 * The container's variables: the database DSN and the CPU budget, then spec.env. A name
 * spec.env sets is not added again: server-side apply refuses two entries with one name
 * (env is a list keyed by name), and what the spec says wins.
 */
function containerEnv(ms: Microservice, database: DatabaseBinding['secret'] | undefined): Record<string, unknown>[] {
  const own = ms.spec.env ?? [];
  const named = new Set(own.map((e) => e.name));
  const added: Record<string, unknown>[] = [];
  if (database) added.push({ name: databaseEnvName(ms), valueFrom: { secretKeyRef: { name: database.name, key: database.key } } });
  const budget = cpuBudget(ms);
  if (budget !== undefined) added.push({ name: CPU_BUDGET_ENV, value: String(budget) });
  return [...added.filter((e) => !named.has(e.name as string)), ...own.map(envVar)];
}

/** A Deployment reads a string as a percentage only, so a plain count must be sent as a number. */
function intOrPercent(value: string): string | number {
  return value.endsWith('%') ? value : Number(value);
}

export function renderConfigMap(ms: Microservice): DesiredObject {
  return {
    type: Resources.ConfigMap,
    object: { ...meta(ms, Resources.ConfigMap, configMapName(ms)), data: configData(ms) },
  };
}

export function renderDeployment(ms: Microservice, database?: DatabaseBinding['secret']): DesiredObject {
  const name = ms.metadata.name!;
  const selector = { [MICROSERVICE_LABEL]: name };
  const configHash = createHash('sha256')
    .update(JSON.stringify(configData(ms)))
    .digest('hex')
    .slice(0, 16);
  const rollout = ms.spec.rollout ?? {};
  const strategy =
    rollout.strategy === 'Recreate'
      ? { type: 'Recreate' }
      : {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxSurge: intOrPercent(rollout.maxSurge ?? '25%'),
            maxUnavailable: intOrPercent(rollout.maxUnavailable ?? '25%'),
          },
        };
  const envFrom: Record<string, unknown>[] = [{ configMapRef: { name: configMapName(ms) } }];
  if (ms.spec.config?.configMapRef) envFrom.push({ configMapRef: { name: ms.spec.config.configMapRef.name } });
  const container: Record<string, unknown> = {
    name: 'app',
    image: ms.spec.image,
    ports: ports(ms).map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    envFrom,
    livenessProbe: probe(ms.spec.probes?.liveness?.path ?? '/healthz', ms.spec.probes?.liveness),
    readinessProbe: probe(ms.spec.probes?.readiness?.path ?? '/readyz', ms.spec.probes?.readiness),
  };
  // Empty lists are dropped by the API server; leaving them out keeps the drift check exact.
  const env = containerEnv(ms, database);
  if (env.length) container.env = env;
  const res = resources(ms);
  if (res) container.resources = res;
  const shutdown = ms.spec.shutdown ?? {};
  const preStopDelay = shutdown.preStopDelaySeconds ?? 5;
  // The delay lets the EndpointSlice controller and every caller's watch drop this Pod
  // before SIGTERM starts the drain (the images have no shell, hence `sleep`, not `exec`).
  if (preStopDelay > 0) container.lifecycle = { preStop: { sleep: { seconds: preStopDelay } } };
  container.securityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
  container.volumeMounts = [{ name: STATE_VOLUME, mountPath: STATE_DIR }];
  const podSpec: Record<string, unknown> = {
    containers: [container],
    terminationGracePeriodSeconds: Math.max(shutdown.terminationGracePeriodSeconds ?? 30, preStopDelay + 1),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: IMAGE_UID,
      runAsGroup: IMAGE_UID,
      fsGroup: IMAGE_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // The images' only writable place (SQLite files, local state); the root file system stays read-only.
    volumes: [{ name: STATE_VOLUME, emptyDir: {} }],
  };
  if (ms.spec.serviceAccountName) podSpec.serviceAccountName = ms.spec.serviceAccountName;
  // Peers are found through discovery, not through the legacy per-Service variables.
  podSpec.enableServiceLinks = false;
  const spec: Record<string, unknown> = {
    selector: { matchLabels: selector },
    strategy,
    template: {
      metadata: {
        labels: { ...selector, 'app.kubernetes.io/name': name },
        annotations: {
          [CONFIG_HASH_ANNOTATION]: configHash,
          ...(database ? { [DATABASE_SECRET_HASH_ANNOTATION]: database.hash } : {}),
        },
      },
      spec: podSpec,
    },
  };
  if (!ms.spec.autoscaling) spec.replicas = ms.spec.replicas ?? 1;
  return { type: Resources.Deployment, object: { ...meta(ms, Resources.Deployment, name), spec } };
}

export function renderService(ms: Microservice): DesiredObject {
  return {
    type: Resources.Service,
    object: {
      ...meta(ms, Resources.Service, ms.metadata.name!),
      spec: {
        type: 'ClusterIP',
        selector: { [MICROSERVICE_LABEL]: ms.metadata.name! },
        ports: ports(ms).map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: 'TCP' })),
      },
    },
  };
}

export function renderPodDisruptionBudget(ms: Microservice): DesiredObject {
  return {
    type: Resources.PodDisruptionBudget,
    object: {
      ...meta(ms, Resources.PodDisruptionBudget, ms.metadata.name!),
      spec: { maxUnavailable: 1, selector: { matchLabels: { [MICROSERVICE_LABEL]: ms.metadata.name! } } },
    },
  };
}

export function renderAutoscaler(ms: Microservice): DesiredObject | undefined {
  const a = ms.spec.autoscaling;
  if (!a) return undefined;
  return {
    type: Resources.HorizontalPodAutoscaler,
    object: {
      ...meta(ms, Resources.HorizontalPodAutoscaler, ms.metadata.name!),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: ms.metadata.name! },
        minReplicas: a.minReplicas ?? 1,
        maxReplicas: a.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: a.targetCPUUtilizationPercentage ?? 80 },
            },
          },
        ],
      },
    },
  };
}

/** Everything the Microservice should own right now (the HPA only when autoscaling; the Database's Secret when it has one). */
export function renderAll(ms: Microservice, database?: DatabaseBinding['secret']): DesiredObject[] {
  const out = [renderConfigMap(ms), renderDeployment(ms, database), renderService(ms), renderPodDisruptionBudget(ms)];
  const hpa = renderAutoscaler(ms);
  if (hpa) out.push(hpa);
  return out;
}
