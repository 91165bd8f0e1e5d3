// The operator process: the Microservice controller, the Database controller (when the
// cluster serves Databases), leader election on a Lease, and the /healthz /readyz /metrics
// endpoint. Every replica keeps its caches warm; only the leader runs workers. Losing the
// lease stops the workers and calls onLostLeadership (the command exits, as
// controller-runtime does, so a fresh process rejoins cleanly).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { KubeClient, Resources, type ClusterConnection } from '@flotilla/kube';
import { Controller } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { startHealthServer } from './runtime/health-server.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { createOperatorMetrics, type OperatorMetrics } from './runtime/metrics.ts';
import { MicroserviceResource } from './microservice/crd.ts';
import { MicroserviceReconciler } from './microservice/reconciler.ts';
import { microserviceCacheTransforms } from './microservice/cache-shapes.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './microservice/render.ts';
import { type AdmissionOptions, type RunningAdmission, startAdmission } from './admission/admission.ts';
import { databaseBindings, linkMicroservices } from './database/bindings.ts';
import { createDatabaseController, type DatabaseControllerOptions, databasesServed } from './database/controller.ts';

export interface OperatorOptions {
  connection: ClusterConnection;
  log: Logger;
  /** watch one namespace only (default: all) */
  namespace?: string;
  workers?: number;
  /** concurrent Database reconciles (default 2) */
  databaseWorkers?: number;
  /** the Database reconciler's resync period and timeouts */
  database?: DatabaseControllerOptions['reconciler'];
  /** where the leader Lease lives */
  leaseNamespace: string;
  leaseName?: string;
  identity?: string;
  /** 0 = any free port; undefined = no health server */
  healthPort?: number;
  healthHost?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** called after the workers stopped because the lease was lost (the command exits here) */
  onLostLeadership?: () => void;
  /** serve the validating admission webhook (src/admission); off when undefined */
  admission?: AdmissionOptions;
}

export interface RunningOperator {
  identity: string;
  metrics: OperatorMetrics;
  controller: Controller;
  /** absent when the cluster does not serve Databases (CRD not installed) */
  databaseController?: Controller;
  healthPort?: number;
  admission?: RunningAdmission;
  isLeader(): boolean;
  ready(): { ok: boolean; detail: Record<string, boolean> };
  /** Stops workers and watches and releases the lease. */
  stop(): Promise<void>;
}

export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const identity = options.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
  const log = options.log.child({ 'process.instance': identity });
  const client = new KubeClient(options.connection);
  const metrics = createOperatorMetrics({ defaultMetrics: true });
  const owned = { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`, namespace: options.namespace };
  // What the reconciler reads of cached objects is all the caches keep (cache-shapes.ts).
  const shapes = microserviceCacheTransforms();
  const controller = new Controller({
    name: 'microservice',
    client,
    forType: MicroserviceResource,
    forOptions: { namespace: options.namespace, transform: shapes.primary },
    owns: [
      Resources.ConfigMap,
      Resources.Deployment,
      Resources.Service,
      Resources.PodDisruptionBudget,
      Resources.HorizontalPodAutoscaler,
    ].map((type) => ({
      type,
      informerOptions: { ...owned, transform: shapes.owned[type.kind] },
    })),
    workers: options.workers ?? 4,
    metrics,
    log,
  });
  const events = new EventRecorder(client, 'flotilla-operator', identity, log);
  const served = await databasesServed(client, log, options.namespace).catch(async (error: unknown) => {
    await client.close();
    throw error;
  });
  const databases = served
    ? createDatabaseController({
        client,
        log,
        metrics,
        events,
        namespace: options.namespace,
        workers: options.databaseWorkers,
        reconciler: options.database,
      })
    : undefined;
  if (databases) linkMicroservices(databases.controller, controller);
  const reconciler = new MicroserviceReconciler({
    client,
    controller,
    events,
    log,
    databases: databases && databaseBindings(databases.controller),
  });
  const elector = new LeaderElector({
    client,
    log,
    identity,
    namespace: options.leaseNamespace,
    name: options.leaseName ?? 'flotilla-operator',
    leaseDurationMs: options.leaseDurationMs,
    renewDeadlineMs: options.renewDeadlineMs,
    retryPeriodMs: options.retryPeriodMs,
    masterStatus: metrics.leaderElectionMasterStatus,
  });
  metrics.leaderElectionMasterStatus.set({ name: options.leaseName ?? 'flotilla-operator' }, 0);

  const ready = () => {
    const detail: Record<string, boolean> = {};
    for (const informer of controller.informers()) detail[`informer:${informer.type.plural}`] = informer.healthy();
    if (databases) Object.assign(detail, databases.health());
    return { ok: Object.values(detail).every(Boolean), detail };
  };

  const admission = options.admission
    ? await startAdmission({ client, log, registry: metrics.registry }, options.admission).catch(async (error: unknown) => {
        await client.close();
        throw error;
      })
    : undefined;
  controller.startInformers();
  databases?.startInformers();
  let server: Server | undefined;
  let healthPort: number | undefined;
  if (options.healthPort !== undefined) {
    ({ server, port: healthPort } = await startHealthServer({ ready, registry: metrics.registry }, options.healthPort, options.healthHost));
  }

  const abort = new AbortController();
  // Campaign, lead, and on losing the lease stop the workers and campaign again (the
  // command exits instead, through onLostLeadership, as controller-runtime does).
  const leading = (async () => {
    while (!abort.signal.aborted) {
      if (!(await elector.acquire(abort.signal))) return;
      await Promise.all([controller.startWorkers(reconciler), databases?.controller.startWorkers(databases.reconciler)]);
      const outcome = await elector.holdLeadership(abort.signal);
      if (outcome !== 'lost') return;
      await Promise.all([controller.stopWorkers(), databases?.controller.stopWorkers()]);
      options.onLostLeadership?.();
    }
  })().catch((error: unknown) => log.error({ err: error }, 'leader loop failed'));

  return {
    identity,
    metrics,
    controller,
    databaseController: databases?.controller,
    healthPort,
    admission,
    isLeader: () => elector.isLeader(),
    ready,
    async stop() {
      abort.abort();
      await leading;
      await Promise.all([controller.stop(), databases?.stop()]);
      await elector.release();
      await admission?.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await client.close();
    },
  };
}
