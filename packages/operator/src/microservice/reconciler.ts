// Reconciles one Microservice: applies its owned objects where they are missing or have
// drifted (server-side apply, field manager flotilla-operator), removes the HPA when
// autoscaling is turned off, and writes status (conditions + observedGeneration) through
// the status subresource. Deletion is left to the garbage collector via ownerReferences.
import type { Logger } from 'pino';
import { controllerOf, isNotFound, KubeApiError, type KubeClient, type KubeObject, objectKey, Resources } from '@flotilla/kube';
import type { Controller, ReconcileRequest, Reconciler } from '../runtime/controller.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { MicroserviceResource } from './crd.ts';
import { hasDrifted } from './drift.ts';
import { renderAll } from './render.ts';
import { computeStatus, statusChanged } from './status.ts';
import type { DatabaseBinding, DatabaseBindings, Microservice } from './types.ts';

export interface MicroserviceReconcilerDeps {
  client: KubeClient;
  controller: Controller;
  events: EventRecorder;
  log: Logger;
  /** the Databases a spec.database names; absent when the Database controller is off */
  databases?: DatabaseBindings;
}

function reasonOf(error: unknown): string {
  if (error instanceof KubeApiError) return error.reason && error.reason !== 'Unknown' ? error.reason : `HTTP${error.status}`;
  return 'InternalError';
}

export class MicroserviceReconciler implements Reconciler {
  private readonly deps: MicroserviceReconcilerDeps;

  constructor(deps: MicroserviceReconcilerDeps) {
    this.deps = deps;
  }

  private cached(kind: string, key: string): KubeObject | undefined {
    return this.deps.controller.owned.get(kind)?.cache.get(key);
  }

  async reconcile(request: ReconcileRequest): Promise<undefined> {
    const { client, controller, events } = this.deps;
    const ms = controller.primary.cache.get(request.key) as Microservice | undefined;
    // Gone or going: the garbage collector deletes what it owned.
    if (!ms || ms.metadata.deletionTimestamp) return;

    const changes: string[] = [];
    const database = this.databaseBinding(ms);
    // The Deployment waits for its database: created once the Database is Ready; kept up to
    // date (Secret included) while it is not, as long as the Secret is there.
    const holdDeployment = database !== undefined && !(database.secret && (database.ready || this.cached('Deployment', objectKey(ms))));
    let deployment: KubeObject | undefined = holdDeployment ? this.cached('Deployment', objectKey(ms)) : undefined;
    // Only an apply removes a field the spec no longer sets, which "desired ⊆ live" cannot see.
    const specChanged = ms.status?.observedGeneration !== ms.metadata.generation;
    let failure: unknown;
    try {
      // The owned objects do not depend on each other: apply them concurrently.
      const results = await Promise.allSettled(
        renderAll(ms, database?.secret)
          .filter((desired) => !(holdDeployment && desired.type.kind === 'Deployment'))
          .map(async (desired) => {
            const live = this.cached(desired.type.kind, objectKey(desired.object));
            const drifted = hasDrifted(desired.object, live as Record<string, unknown> | undefined);
            if (!drifted && !specChanged) return { kind: desired.type.kind, object: live };
            const applied = await client.apply(desired.type, desired.object);
            if (drifted) changes.push(`${live ? 'updated' : 'created'} ${desired.type.kind}`);
            return { kind: desired.type.kind, object: applied };
          }),
      );
      for (const result of results) {
        if (result.status === 'rejected') throw result.reason;
        if (result.value.kind === 'Deployment') deployment = result.value.object;
      }
      if (!ms.spec.autoscaling) await this.removeAutoscaler(ms, changes);
    } catch (error) {
      failure = error;
    }

    const message = failure instanceof Error ? failure.message : String(failure);
    const status = computeStatus({
      ms,
      deployment,
      error: failure === undefined ? undefined : { reason: reasonOf(failure), message },
      database: database && { status: database.ready ? 'True' : 'False', reason: database.reason, message: database.message },
    });
    if (statusChanged(ms.status, status)) {
      await client.patch(MicroserviceResource, ms.metadata.namespace, ms.metadata.name!, { status }, 'merge', 'status');
    }
    if (failure !== undefined) {
      events.record(ms, 'Warning', 'ReconcileError', message);
      throw failure;
    }
    if (changes.length > 0) {
      // The spec did not change since the last success, so someone else changed our objects.
      const repaired = ms.status?.observedGeneration === ms.metadata.generation;
      events.record(ms, 'Normal', repaired ? 'DriftRepaired' : 'Reconciled', changes.join(', '));
    }
  }

  private databaseBinding(ms: Microservice): DatabaseBinding | undefined {
    const ref = ms.spec.database;
    if (!ref) return undefined;
    if (!this.deps.databases)
      return {
        ready: false,
        reason: 'DatabaseControllerOff',
        message: 'the operator runs without its Database controller: install the Database CRD (deploy/kubernetes/crds) and restart it',
      };
    return this.deps.databases(ms.metadata.namespace!, ref.name);
  }

  private async removeAutoscaler(ms: Microservice, changes: string[]): Promise<void> {
    const hpa = this.cached('HorizontalPodAutoscaler', objectKey(ms));
    if (!hpa || controllerOf(hpa)?.uid !== ms.metadata.uid) return;
    try {
      await this.deps.client.delete(Resources.HorizontalPodAutoscaler, ms.metadata.namespace, ms.metadata.name!);
      changes.push('deleted HorizontalPodAutoscaler');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
