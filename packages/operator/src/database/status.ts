// Database status: Ready and Degraded (reason + message), the Secret's name and the server's
// version, and the generation they describe.
import { type Condition, setCondition } from '../runtime/conditions.ts';
import { type ProvisioningError, Reasons } from './errors.ts';
import { type Database, DatabaseConditions, type DatabaseStatus } from './types.ts';

export type Outcome =
  | { kind: 'ready'; secretName: string; serverVersion: string }
  | { kind: 'failed'; error: ProvisioningError }
  /** being deleted; `error` says why the finalizer is still there */
  | { kind: 'deleting'; error?: ProvisioningError };

export function computeStatus(db: Database, outcome: Outcome, now = new Date()): DatabaseStatus {
  const generation = db.metadata.generation;
  const previous = db.status ?? {};
  let conditions: Condition[] | undefined = previous.conditions;
  const set = (type: string, status: Condition['status'], reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  const name = db.spec.databaseName;
  switch (outcome.kind) {
    case 'ready':
      set(
        DatabaseConditions.Ready,
        'True',
        Reasons.Ready,
        `database "${name}" and its role are ready; the DSN is in Secret ${outcome.secretName}`,
      );
      set(DatabaseConditions.Degraded, 'False', 'AsExpected', 'no failure');
      return {
        ...previous,
        observedGeneration: generation,
        conditions,
        secretName: outcome.secretName,
        serverVersion: outcome.serverVersion,
      };
    case 'failed':
      set(DatabaseConditions.Ready, 'False', outcome.error.reason, outcome.error.message);
      set(DatabaseConditions.Degraded, 'True', outcome.error.reason, outcome.error.message);
      // Not observed: this generation has not been carried out.
      return { ...previous, conditions };
    case 'deleting': {
      const retain = (db.spec.deletionPolicy ?? 'Retain') === 'Retain';
      set(
        DatabaseConditions.Ready,
        'False',
        Reasons.Deleting,
        retain ? 'deleting; the database is retained' : `dropping database "${name}"`,
      );
      if (outcome.error)
        set(
          DatabaseConditions.Degraded,
          'True',
          outcome.error.reason,
          `${outcome.error.message}; the finalizer stays until the drop succeeds (or set spec.deletionPolicy to Retain)`,
        );
      return { ...previous, conditions };
    }
  }
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

export function statusChanged(before: DatabaseStatus | undefined, after: DatabaseStatus): boolean {
  return comparable(before) !== comparable(after);
}
