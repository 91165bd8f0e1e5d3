// Reconciles one Database: finalizer first, then (under a per-name lock on the server) the
// ownership check, the database and its role, the application Secret, and a login with the
// Secret's password (set on the role when the server refuses it). Every step is idempotent,
// so a reconcile cut short anywhere is completed by the next one. On deletion, Delete drops
// the database and role (only if they carry this Database's mark), then the finalizer goes.
import type { Logger } from 'pino';
import { isNotFound, KubeApiError, type KubeClient, Resources } from '@flotilla/kube';
import type { Controller, ReconcileRequest, ReconcileResult, Reconciler } from '../runtime/controller.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../runtime/finalizers.ts';
import {
  currentCredentials,
  isControlledBy,
  isLeftBehind,
  mergedForReplace,
  needsWrite,
  renderAppSecret,
  rotationOf,
  type Secret,
} from './app-secret.ts';
import { DatabaseResource } from './crd.ts';
import { parseServerDsn, type ServerDsn, serverAddress } from './dsn.ts';
import { ProvisioningError, Reasons } from './errors.ts';
import { mysqlDriver } from './mysql.ts';
import { describeMark, judgeOwnership, ownerMark } from './ownership.ts';
import { generatePassword } from './password.ts';
import { postgresDriver } from './postgres.ts';
import type { ServerDriver, ServerSession, SessionOptions } from './server.ts';
import { computeStatus, type Outcome, statusChanged } from './status.ts';
import { appSecretName, DATABASE_FINALIZER, type Database, deletionPolicyOf, type Engine, serverSecretKey } from './types.ts';

export interface DatabaseReconcilerDeps {
  client: KubeClient;
  controller: Controller;
  events: EventRecorder;
  log: Logger;
  drivers?: Record<Engine, ServerDriver>;
  /** a Ready Database is checked again after this long (someone may drop its role by hand); default 10 min */
  resyncMs?: number;
  connectTimeoutMs?: number;
  lockTimeoutMs?: number;
}

const DEFAULT_DRIVERS: Record<Engine, ServerDriver> = { postgresql: postgresDriver, mysql: mysqlDriver };

/** Any failure as a ProvisioningError whose message is safe for status, events and logs. */
function asProvisioningError(error: unknown): ProvisioningError {
  if (error instanceof ProvisioningError) return error;
  if (error instanceof KubeApiError) return new ProvisioningError(Reasons.KubernetesError, `Kubernetes API: ${error.message}`);
  const message = error instanceof Error ? error.message : String(error);
  // Whatever it is, a URL's credentials never reach the status.
  return new ProvisioningError(Reasons.ServerError, message.replace(/\/\/[^\s/@]*@/g, '//***@'));
}

export class DatabaseReconciler implements Reconciler {
  private readonly deps: DatabaseReconcilerDeps;
  private readonly drivers: Record<Engine, ServerDriver>;
  private readonly resyncMs: number;

  constructor(deps: DatabaseReconcilerDeps) {
    this.deps = deps;
    this.drivers = deps.drivers ?? DEFAULT_DRIVERS;
    this.resyncMs = deps.resyncMs ?? 10 * 60_000;
  }

  async reconcile(request: ReconcileRequest, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const cached = this.deps.controller.primary.cache.get(request.key) as Database | undefined;
    if (!cached) return undefined;
    if (cached.metadata.deletionTimestamp) {
      await this.finalize(cached, signal);
      return undefined;
    }
    // Before anything changes on a server: a Database deleted from here on waits for its cleanup.
    const db = await this.withFinalizer(cached);
    let outcome: Outcome;
    try {
      outcome = { kind: 'ready', ...(await this.provision(db, signal)) };
    } catch (error) {
      outcome = { kind: 'failed', error: asProvisioningError(error) };
    }
    const wasReady = db.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    await this.writeStatus(db, outcome);
    if (outcome.kind === 'failed') {
      this.deps.events.record(db, 'Warning', outcome.error.reason, outcome.error.message);
      // A conflict waits for a person, not for a backoff.
      if (outcome.error.conflict) return { requeueAfterMs: this.resyncMs };
      throw outcome.error;
    }
    if (!wasReady) this.deps.events.record(db, 'Normal', Reasons.Ready, `database "${db.spec.databaseName}" is ready`);
    return { requeueAfterMs: this.resyncMs };
  }

  private sessionOptions(signal: AbortSignal): SessionOptions {
    return { connectTimeoutMs: this.deps.connectTimeoutMs ?? 10_000, lockTimeoutMs: this.deps.lockTimeoutMs ?? 15_000, signal };
  }

  private async provision(db: Database, signal: AbortSignal): Promise<{ secretName: string; serverVersion: string }> {
    const { client, events } = this.deps;
    const server = await this.readServer(db);
    const secretName = appSecretName(db);
    const live = await this.appSecret(db, server);
    if (live && isLeftBehind(live, db))
      throw new ProvisioningError(
        Reasons.SecretConflict,
        `Secret ${secretName} still belongs to an earlier Database of this name; waiting for the garbage collector to delete it`,
      );
    if (live && !isControlledBy(live, db))
      throw new ProvisioningError(
        Reasons.SecretConflict,
        `Secret ${secretName} already exists and is not owned by this Database: delete it, or give the Database another name`,
        { conflict: true },
      );
    const name = db.spec.databaseName;
    const driver = this.drivers[db.spec.engine];
    const options = this.sessionOptions(signal);
    return await this.withSession(db, server, options, async (session) => {
      const ownership = judgeOwnership(await session.facts(name), ownerMark(db));
      if (ownership.state === 'conflict') {
        const what = ownership.what === 'role' ? (db.spec.engine === 'mysql' ? 'user' : 'role') : 'database';
        throw new ProvisioningError(
          Reasons.NameConflict,
          `${what} "${name}" on ${serverAddress(server)} ${describeMark(ownership.mark)}: nothing was changed; choose another spec.databaseName`,
          { conflict: true },
        );
      }
      const current = currentCredentials(live);
      const rotate = current !== undefined && current.rotation !== rotationOf(db);
      const password = current && !rotate ? current.password : generatePassword();
      await session.provision(name, ownerMark(db), password);
      // The Secret first, then the role: the Secret is where the password lives, and the
      // login below makes the server agree with it (also after an interrupted rotation).
      const desired = renderAppSecret(db, server, password);
      if (!live) await client.create(Resources.Secret, desired);
      else if (needsWrite(live, desired)) await client.replace(Resources.Secret, mergedForReplace(live, desired));
      if (!(await driver.canLogIn(server, name, password, options))) {
        await session.setPassword(name, password);
        if (!(await driver.canLogIn(server, name, password, options)))
          throw new ProvisioningError(
            Reasons.CredentialsRejected,
            `the server refuses the password just set for "${name}": check its authentication rules (pg_hba.conf, user hosts)`,
          );
      }
      if (rotate) events.record(db, 'Normal', 'PasswordRotated', `role "${name}" has a new password; Secret ${secretName} is updated`);
      return { secretName, serverVersion: session.version };
    });
  }

  private async finalize(db: Database, signal: AbortSignal): Promise<void> {
    if (!hasFinalizer(db, DATABASE_FINALIZER)) return;
    const name = db.spec.databaseName;
    if (deletionPolicyOf(db) === 'Delete') {
      try {
        const message = await this.drop(db, signal);
        this.deps.events.record(db, 'Normal', 'Dropped', message);
      } catch (error) {
        const failure = asProvisioningError(error);
        await this.writeStatus(db, { kind: 'deleting', error: failure });
        this.deps.events.record(db, 'Warning', failure.reason, `cannot drop database "${name}": ${failure.message}`);
        throw failure;
      }
    } else {
      this.deps.events.record(db, 'Normal', 'Retained', `database "${name}" and its role stay on the server (deletionPolicy Retain)`);
    }
    await this.releaseFinalizer(db);
  }

  /** Drops what carries this Database's mark; returns what happened, for the event. */
  private async drop(db: Database, signal: AbortSignal): Promise<string> {
    const server = await this.readServer(db);
    const name = db.spec.databaseName;
    return await this.withSession(db, server, this.sessionOptions(signal), async (session) => {
      const ownership = judgeOwnership(await session.facts(name), ownerMark(db));
      if (ownership.state === 'conflict') return `"${name}" ${describeMark(ownership.mark)}: left as it is`;
      await session.drop(name, ownership);
      return `dropped database "${name}" and its role`;
    });
  }

  private async withSession<T>(
    db: Database,
    server: ServerDsn,
    options: SessionOptions,
    work: (session: ServerSession) => Promise<T>,
  ): Promise<T> {
    const session = await this.drivers[db.spec.engine].open(server, options);
    try {
      await session.lock(db.spec.databaseName);
      return await work(session);
    } finally {
      await session.close();
    }
  }

  private async readServer(db: Database): Promise<ServerDsn> {
    const { name } = db.spec.server.secretRef;
    const key = serverSecretKey(db);
    const secret = await this.getSecret(db.metadata.namespace!, name);
    if (!secret)
      throw new ProvisioningError(
        Reasons.ServerSecretNotFound,
        `Secret ${name} (spec.server.secretRef) does not exist in namespace ${db.metadata.namespace}`,
      );
    const value = secret.data?.[key];
    if (!value) throw new ProvisioningError(Reasons.ServerSecretKeyMissing, `Secret ${name} has no key ${key} (spec.server.secretRef.key)`);
    return parseServerDsn(db.spec.engine, Buffer.from(value, 'base64').toString('utf8'));
  }

  /**
   * The application Secret. The controller's cached copy is used when it says there is
   * nothing to do (ours, no rotation pending, nothing to write): a copy behind the API
   * server is followed by the watch event that brings it up to date, and that event
   * reconciles again. Anything else is read from the API server, so a password is never
   * chosen from a stale copy, and a Secret someone else made under the name (not cached:
   * it lacks our label) is seen.
   */
  private async appSecret(db: Database, server: ServerDsn): Promise<Secret | undefined> {
    const namespace = db.metadata.namespace!;
    const name = appSecretName(db);
    const cached = this.deps.controller.owned.get('Secret')?.cache.get(`${namespace}/${name}`) as Secret | undefined;
    const current = cached && isControlledBy(cached, db) ? currentCredentials(cached) : undefined;
    const settled =
      cached !== undefined &&
      current !== undefined &&
      current.rotation === rotationOf(db) &&
      !needsWrite(cached, renderAppSecret(db, server, current.password));
    return settled ? cached : await this.getSecret(namespace, name);
  }

  private async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    try {
      return await this.deps.client.get<Secret>(Resources.Secret, namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The cached object may be a write behind: on a failed guard, read it again once. */
  private async withFinalizer(db: Database): Promise<Database> {
    if (hasFinalizer(db, DATABASE_FINALIZER)) return db;
    const { client } = this.deps;
    try {
      return await addFinalizer(client, DatabaseResource, db, DATABASE_FINALIZER);
    } catch {
      const fresh = await client.get<Database>(DatabaseResource, db.metadata.namespace, db.metadata.name!);
      return await addFinalizer(client, DatabaseResource, fresh, DATABASE_FINALIZER);
    }
  }

  private async releaseFinalizer(db: Database): Promise<void> {
    const { client } = this.deps;
    try {
      await removeFinalizer(client, DatabaseResource, db, DATABASE_FINALIZER);
    } catch (error) {
      if (isNotFound(error)) return;
      const fresh = await client.get<Database>(DatabaseResource, db.metadata.namespace, db.metadata.name!).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      if (fresh) await removeFinalizer(client, DatabaseResource, fresh, DATABASE_FINALIZER);
    }
  }

  private async writeStatus(db: Database, outcome: Outcome): Promise<void> {
    const status = computeStatus(db, outcome);
    if (!statusChanged(db.status, status)) return;
    try {
      await this.deps.client.patch(DatabaseResource, db.metadata.namespace, db.metadata.name!, { status }, 'merge', 'status');
    } catch (error) {
      // Gone meanwhile: nothing to report on.
      if (!isNotFound(error)) throw error;
    }
  }
}
