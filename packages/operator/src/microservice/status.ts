// Microservice status from its Deployment: readiness counts and the four conditions.
import { setCondition, type Condition } from '../runtime/conditions.ts';
import type { KubeObject } from '@flotilla/kube';
import { ConditionTypes, type Microservice, type MicroserviceStatus } from './types.ts';

interface DeploymentLike extends KubeObject {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface StatusInput {
  ms: Microservice;
  deployment: DeploymentLike | undefined;
  /** set when this reconcile failed */
  error?: { reason: string; message: string };
  /** the Database named in spec.database, if any */
  database?: { status: 'True' | 'False'; reason: string; message: string };
}

export function computeStatus({ ms, deployment, error, database }: StatusInput, now = new Date()): MicroserviceStatus {
  const generation = ms.metadata.generation;
  const previous = ms.status ?? {};
  let conditions: Condition[] | undefined = previous.conditions;
  const set = (type: string, status: Condition['status'], reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };

  const desired = deployment?.spec?.replicas ?? ms.spec.replicas ?? 1;
  const ds = deployment?.status ?? {};
  const ready = ds.readyReplicas ?? 0;
  const available = ds.availableReplicas ?? 0;
  const deploymentCondition = (type: string) => ds.conditions?.find((c) => c.type === type);

  if (!deployment && database?.status === 'False') {
    set(ConditionTypes.Available, 'False', 'WaitingForDatabase', `the Deployment waits for its Database: ${database.message}`);
    set(ConditionTypes.Progressing, 'True', 'WaitingForDatabase', 'the Deployment is created once the Database is Ready');
  } else if (!deployment) {
    set(ConditionTypes.Available, 'False', 'DeploymentMissing', 'the Deployment does not exist yet');
    set(ConditionTypes.Progressing, 'True', 'Creating', 'creating the owned objects');
  } else {
    if (available >= desired)
      set(ConditionTypes.Available, 'True', 'MinimumReplicasAvailable', `${available}/${desired} replicas available`);
    else set(ConditionTypes.Available, 'False', 'MinimumReplicasUnavailable', `${available}/${desired} replicas available`);
    const rolledOut =
      (ds.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) && (ds.updatedReplicas ?? 0) >= desired && ready >= desired;
    if (rolledOut) set(ConditionTypes.Progressing, 'False', 'RolloutComplete', 'all replicas are updated and ready');
    else set(ConditionTypes.Progressing, 'True', 'RollingOut', `${ds.updatedReplicas ?? 0} updated, ${ready} ready of ${desired}`);
  }
  const stuck = deploymentCondition('Progressing');
  const failure = deploymentCondition('ReplicaFailure');
  if (stuck?.reason === 'ProgressDeadlineExceeded')
    set(ConditionTypes.Degraded, 'True', 'ProgressDeadlineExceeded', stuck.message ?? 'the rollout is stuck');
  else if (failure?.status === 'True')
    set(ConditionTypes.Degraded, 'True', failure.reason ?? 'ReplicaFailure', failure.message ?? 'replicas cannot be created');
  else set(ConditionTypes.Degraded, 'False', 'AsExpected', 'no failure reported');

  if (error) set(ConditionTypes.ReconcileError, 'True', error.reason, error.message);
  else set(ConditionTypes.ReconcileError, 'False', 'Succeeded', 'the owned objects match the spec');

  if (database) set(ConditionTypes.DatabaseReady, database.status, database.reason, database.message);
  else conditions = conditions?.filter((c) => c.type !== ConditionTypes.DatabaseReady);

  return {
    // A failed reconcile has not observed this generation yet.
    observedGeneration: error ? previous.observedGeneration : generation,
    replicas: desired,
    readyReplicas: ready,
    updatedReplicas: ds.updatedReplicas ?? 0,
    conditions,
  };
}

/** Stable text of a status without transition times: key order from the server differs from ours. */
function comparable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(comparable).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([key, v]) => v !== undefined && key !== 'lastTransitionTime')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${comparable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function statusChanged(before: MicroserviceStatus | undefined, after: MicroserviceStatus): boolean {
  return comparable(before) !== comparable(after);
}
