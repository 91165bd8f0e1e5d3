/**
 * Database telemetry from Kysely's `log` hook, which reports every executed
 * query (failed ones too) with its duration, in the caller's async context:
 *  - `db_client_operation_duration_seconds` per operation and table;
 *  - a CLIENT span per query, child of the active span, named
 *    `SELECT users` per the database semantic conventions, with the
 *    parameterised SQL (never the parameter values) as `db.query.text`.
 * The span is recorded after the fact with the measured start time, which
 * works the same for SQLite (no driver instrumentation exists), PostgreSQL
 * and MySQL — so the pg/mysql2 require-hook instrumentations are not used.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { LogEvent, OperationNode, RootOperationNode } from 'kysely';
import { parseDsn, type Dialect } from './dsn.ts';
import type { ServiceTracing } from '@flotilla/telemetry';
import { serviceSpanScope } from '@flotilla/telemetry';
import type { DatabaseMetrics } from './metrics.ts';

/** `db.system.name` values of the semantic conventions. */
export function dbSystemName(dialect: Dialect): string {
  return dialect === 'postgres' ? 'postgresql' : dialect;
}

export interface DatabaseTelemetryOptions {
  dialect: Dialect;
  metrics?: DatabaseMetrics;
  tracing?: ServiceTracing;
  /** host and port of the server (PostgreSQL / MySQL), for `server.address`. */
  server?: { address: string; port: number };
}

interface Operation {
  name: string;
  collection: string;
}

function tableName(node: OperationNode | undefined): string {
  if (node === undefined) return '';
  switch (node.kind) {
    case 'TableNode':
      return (node as unknown as { table: { identifier: { name: string } } }).table.identifier.name;
    case 'AliasNode':
      return tableName((node as unknown as { node: OperationNode }).node);
    case 'FromNode':
      return tableName((node as unknown as { froms: readonly OperationNode[] }).froms[0]);
    default:
      return '';
  }
}

const KIND_TO_OPERATION: Record<string, string> = {
  SelectQueryNode: 'SELECT',
  InsertQueryNode: 'INSERT',
  UpdateQueryNode: 'UPDATE',
  DeleteQueryNode: 'DELETE',
  MergeQueryNode: 'MERGE',
};

/** Operation and table from the query tree (Kysely builds a new one per query: nothing to cache); raw SQL gives its first keyword and no table. */
export function describeQuery(node: RootOperationNode, sqlText: string): Operation {
  const name = KIND_TO_OPERATION[node.kind];
  if (name === undefined) return { name: /^\s*([A-Za-z]+)/.exec(sqlText)?.[1]?.toUpperCase() ?? 'QUERY', collection: '' };
  const n = node as unknown as { from?: OperationNode; into?: OperationNode; table?: OperationNode };
  return { name, collection: tableName(n.into ?? n.table ?? n.from) };
}

/** The dialect of a DSN and, for network databases, the server's host and port. */
export function databaseTarget(dsn: string): { dialect: Dialect; server?: { address: string; port: number } } {
  const parsed = parseDsn(dsn);
  switch (parsed.dialect) {
    case 'sqlite':
      return { dialect: 'sqlite' };
    case 'mysql':
      return { dialect: 'mysql', server: { address: parsed.host, port: parsed.port } };
    case 'postgres': {
      const url = new URL(parsed.connectionString);
      return { dialect: 'postgres', server: { address: url.hostname, port: Number(url.port || 5432) } };
    }
  }
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : 'Error';
}

/** The `log` function to give Kysely (`createDatabase({ log })`). */
export function databaseQueryLogger(options: DatabaseTelemetryOptions): (event: LogEvent) => void {
  const system = dbSystemName(options.dialect);
  return (event) => {
    const { query, queryDurationMillis } = event;
    const operation = describeQuery(query.query, query.sql);
    const failed = event.level === 'error';
    const type = failed ? errorType(event.error) : '';
    options.metrics?.observe(operation.name, operation.collection, type, queryDurationMillis / 1000);

    const tracing = options.tracing;
    if (tracing === undefined) return;
    const active = context.active();
    // No request to hang it on (migrations, readiness pings), or one not sampled: no span.
    if (trace.getSpan(active)?.isRecording() !== true) return;
    const tracer = serviceSpanScope(active)?.tracer ?? tracing.tracer;
    const end = performance.timeOrigin + performance.now();
    const span = tracer.startSpan(
      operation.collection === '' ? operation.name : `${operation.name} ${operation.collection}`,
      {
        kind: SpanKind.CLIENT,
        startTime: end - queryDurationMillis,
        attributes: {
          'db.system.name': system,
          'db.operation.name': operation.name,
          ...(operation.collection === '' ? {} : { 'db.collection.name': operation.collection }),
          'db.query.text': query.sql,
          ...(options.server === undefined ? {} : { 'server.address': options.server.address, 'server.port': options.server.port }),
        },
      },
      active,
    );
    if (failed) {
      span.setAttribute('error.type', type);
      span.recordException(event.error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(end);
  };
}
