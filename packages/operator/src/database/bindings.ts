// Microservice → Database: what a Microservice's spec.database resolves to (from the
// Database controller's caches), and the links that reconcile a Microservice when its
// Database turns Ready or its Secret changes (a new password rolls the Pods).
import { type KubeObject, NAMESPACE_INDEX, objectKey, splitKey } from '@flotilla/kube';
import { findCondition } from '../runtime/conditions.ts';
import type { Controller } from '../runtime/controller.ts';
import { ownerKey } from '../runtime/owners.ts';
import { GROUP, type DatabaseBindings, type Microservice } from '../microservice/types.ts';
import { isControlledBy, type Secret, secretDataHash } from './app-secret.ts';
import { type Database, DatabaseConditions, DSN_KEY } from './types.ts';

export function databaseBindings(databases: Controller): DatabaseBindings {
  return (namespace, name) => {
    const db = databases.primary.cache.get(`${namespace}/${name}`) as Database | undefined;
    if (!db) return { ready: false, reason: 'DatabaseNotFound', message: `Database ${name} does not exist in namespace ${namespace}` };
    const secretName = db.status?.secretName;
    const live = secretName ? (databases.owned.get('Secret')?.cache.get(`${namespace}/${secretName}`) as Secret | undefined) : undefined;
    const secret =
      secretName && live && isControlledBy(live, db) && live.data?.[DSN_KEY]
        ? { name: secretName, key: DSN_KEY, hash: secretDataHash(live) }
        : undefined;
    if (db.metadata.deletionTimestamp)
      return { ready: false, reason: 'DatabaseDeleting', message: `Database ${name} is being deleted`, secret };
    const ready = findCondition(db.status?.conditions, DatabaseConditions.Ready);
    if (ready?.status === 'True' && secret) return { ready: true, reason: 'DatabaseReady', message: `Database ${name} is ready`, secret };
    const why = ready ? `${ready.reason}: ${ready.message}` : 'not reconciled yet';
    return { ready: false, reason: 'DatabaseNotReady', message: `Database ${name} is not ready (${why})`, secret };
  };
}

/** Reconciles the Microservices naming a Database when it or its Secret changes. */
export function linkMicroservices(databases: Controller, microservices: Controller): void {
  const enqueue = (namespace: string | undefined, database: string) => {
    if (!namespace) return;
    for (const ms of microservices.primary.cache.byIndex(NAMESPACE_INDEX, namespace))
      if ((ms as Microservice).spec?.database?.name === database) microservices.queue.add(objectKey(ms));
  };
  const onDatabase = (db: KubeObject) => enqueue(db.metadata.namespace, db.metadata.name!);
  databases.primary.addHandler({ onAdd: onDatabase, onUpdate: (_old, db) => onDatabase(db), onDelete: onDatabase });
  const onSecret = (secret: KubeObject) => {
    const key = ownerKey(secret, GROUP, 'Database');
    if (key) enqueue(secret.metadata.namespace, splitKey(key).name);
  };
  databases.owned.get('Secret')?.addHandler({ onAdd: onSecret, onUpdate: (_old, secret) => onSecret(secret), onDelete: onSecret });
}
