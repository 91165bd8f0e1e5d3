// The Database controller: Databases (indexed by the server Secret they name), the
// application Secrets they own, and a light watch on every Secret so that a changed server
// Secret reconciles the Databases naming it at once.
import type { Logger } from 'pino';
import { collectionPath, isForbidden, isNotFound, type KubeClient, type KubeObject, objectKey, Resources } from '@flotilla/kube';
import { Controller } from '../runtime/controller.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../microservice/render.ts';
import { appSecretCacheTransform, databaseCacheTransform } from './cache-shapes.ts';
import { DatabaseResource } from './crd.ts';
import { DatabaseReconciler, type DatabaseReconcilerDeps } from './reconciler.ts';
import { ServerSecretWatch } from './server-secret-watch.ts';
import type { Database } from './types.ts';

export const SERVER_SECRET_INDEX = 'serverSecret';

export interface DatabaseControllerOptions {
  client: KubeClient;
  log: Logger;
  metrics: OperatorMetrics;
  events: EventRecorder;
  namespace?: string;
  workers?: number;
  /** passed to the reconciler (resync period, timeouts, drivers) */
  reconciler?: Pick<DatabaseReconcilerDeps, 'resyncMs' | 'connectTimeoutMs' | 'lockTimeoutMs' | 'drivers'>;
}

export interface DatabaseController {
  controller: Controller;
  reconciler: DatabaseReconciler;
  startInformers(): void;
  /** for /readyz, by source */
  health(): Record<string, boolean>;
  stop(): Promise<void>;
}

function serverSecretOf(obj: KubeObject): string[] {
  const name = (obj as Database).spec?.server?.secretRef?.name;
  return name ? [`${obj.metadata.namespace}/${name}`] : [];
}

export function createDatabaseController(options: DatabaseControllerOptions): DatabaseController {
  const { client, log, namespace } = options;
  const controller = new Controller({
    name: 'database',
    client,
    forType: DatabaseResource,
    forOptions: { namespace, indexers: { [SERVER_SECRET_INDEX]: serverSecretOf }, transform: databaseCacheTransform },
    owns: [
      {
        type: Resources.Secret,
        informerOptions: { namespace, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`, transform: appSecretCacheTransform },
      },
    ],
    workers: options.workers ?? 2,
    metrics: options.metrics,
    log,
  });
  const serverSecrets = new ServerSecretWatch(
    client,
    log,
    (ns, name) => {
      for (const db of controller.primary.cache.byIndex(SERVER_SECRET_INDEX, `${ns}/${name}`)) controller.queue.add(objectKey(db));
    },
    namespace,
  );
  const reconciler = new DatabaseReconciler({ client, controller, events: options.events, log, ...options.reconciler });
  return {
    controller,
    reconciler,
    startInformers() {
      controller.startInformers();
      serverSecrets.start();
    },
    health() {
      const detail: Record<string, boolean> = {};
      for (const informer of controller.informers()) detail[`informer:${informer.type.plural}`] = informer.healthy();
      detail['watch:server-secrets'] = serverSecrets.healthy();
      return detail;
    },
    async stop() {
      await controller.stop();
      await serverSecrets.stop();
    },
  };
}

/**
 * Whether this cluster serves Databases to this operator: the CRD is installed and RBAC
 * lets it list them. Without either the Database controller stays off (a Microservice
 * naming a database then says so in its DatabaseReady condition).
 */
export async function databasesServed(client: KubeClient, log: Logger, namespace?: string): Promise<boolean> {
  try {
    await client.request('GET', collectionPath(DatabaseResource, namespace), { query: { limit: 1 } });
    return true;
  } catch (error) {
    // A missing API group answers with plain text, which does not parse as JSON.
    if (isNotFound(error) || error instanceof SyntaxError) {
      log.info('the Database CRD (databases.flotilla.dev) is not installed: the Database controller is off until a restart');
      return false;
    }
    if (isForbidden(error)) {
      log.warn('RBAC does not allow listing Databases: the Database controller is off (see deploy/kubernetes/operator/rbac.yaml)');
      return false;
    }
    throw error;
  }
}
