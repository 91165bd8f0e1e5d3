// Who a database name belongs to on a server. The operator marks what it creates with the
// Database's namespace/name (PostgreSQL: a comment on the database and on the role; MySQL:
// a row in flotilla_operator.owned_databases), and touches a database or role only when it
// carries that mark. Namespace/name rather than the uid: a Database deleted with Retain and
// created again under the same name takes its database back.
import type { Database } from './types.ts';

const MARK_PREFIX = 'flotilla.dev/database=';

export function ownerMark(db: Database): string {
  return `${MARK_PREFIX}${db.metadata.namespace}/${db.metadata.name}`;
}

/** What a server says about one object: whether it exists and the mark it carries. */
export interface ObjectFacts {
  exists: boolean;
  mark: string | null;
}

export interface OwnershipFacts {
  database: ObjectFacts;
  role: ObjectFacts;
}

export type Ownership =
  | { state: 'ours'; database: boolean; role: boolean }
  | { state: 'conflict'; what: 'database' | 'role'; mark: string | null };

/**
 * Ours: what exists carries our mark. A database without any mark next to a role with ours
 * is ours too: PostgreSQL cannot create a database and comment on it in one transaction,
 * so that is what an interrupted first reconcile leaves (the role is made first).
 */
export function judgeOwnership(facts: OwnershipFacts, mark: string): Ownership {
  const role = facts.role.exists && facts.role.mark === mark;
  const database = facts.database.exists && (facts.database.mark === mark || (facts.database.mark === null && role));
  if (facts.role.exists && !role) return { state: 'conflict', what: 'role', mark: facts.role.mark };
  if (facts.database.exists && !database) return { state: 'conflict', what: 'database', mark: facts.database.mark };
  return { state: 'ours', database, role };
}

/** For a conflict message: who holds the name. */
export function describeMark(mark: string | null): string {
  if (mark?.startsWith(MARK_PREFIX)) return `belongs to Database ${mark.slice(MARK_PREFIX.length)}`;
  return 'exists and is not managed by the operator';
}
