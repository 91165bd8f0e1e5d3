// The Database custom resource (flotilla.dev/v1alpha1), as TypeBox schemas: a database and
// its own login role on a PostgreSQL or MySQL/MariaDB server the cluster can reach, with the
// application's DSN written to a Secret. The CRD's OpenAPI validation is generated from these.
import { Type, type Static } from 'typebox';
import type { KubeObject } from '@flotilla/kube';
import type { Condition } from '../runtime/conditions.ts';
import { ConditionSchema } from '../microservice/types.ts';

/** Names the servers keep for themselves, or that the operator uses for its own bookkeeping. */
export const RESERVED_DATABASE_NAMES = [
  'postgres',
  'template0',
  'template1',
  'public',
  'none',
  'current_user',
  'current_role',
  'session_user',
  'mysql',
  'information_schema',
  'performance_schema',
  'sys',
  'flotilla_operator',
];

export const ENGINES = ['postgresql', 'mysql'] as const;
export type Engine = (typeof ENGINES)[number];

export const DatabaseSpecSchema = Type.Object({
  engine: Type.Union([Type.Literal('postgresql'), Type.Literal('mysql')], {
    description: 'the server kind: postgresql, or mysql (MySQL and MariaDB)',
    'x-kubernetes-validations': [
      { rule: 'self == oldSelf', message: 'spec.engine cannot be changed: create a new Database on the other server' },
    ],
  }),
  server: Type.Object(
    {
      secretRef: Type.Object(
        {
          name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253, description: 'a Secret in the same namespace' }),
          key: Type.Optional(
            Type.String({ pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253, default: 'dsn', description: 'the key holding the DSN' }),
          ),
        },
        { description: 'an administrator DSN, e.g. postgres://admin:…@db.example.com:5432/postgres or mysql://root:…@db:3306' },
      ),
    },
    { description: 'the server the database lives on' },
  ),
  databaseName: Type.String({
    pattern: '^[a-z][a-z0-9_]*$',
    minLength: 1,
    maxLength: 63,
    description: 'the database on the server; also the name of its login role (user) and, on PostgreSQL, of its schema',
    'x-kubernetes-validations': [
      {
        rule: 'self == oldSelf',
        message: 'spec.databaseName cannot be changed: the data lives in that database (create a new Database to move it)',
      },
      {
        rule: `!(self in [${RESERVED_DATABASE_NAMES.map((name) => `'${name}'`).join(', ')}]) && !self.startsWith('pg_')`,
        message: `spec.databaseName is reserved by the server or the operator (${RESERVED_DATABASE_NAMES.join(', ')}, pg_*): choose another name`,
      },
    ],
  }),
  deletionPolicy: Type.Optional(
    Type.Union([Type.Literal('Retain'), Type.Literal('Delete')], {
      default: 'Retain',
      description: 'when the Database is deleted: Retain keeps the database and its role, Delete drops both',
    }),
  ),
  passwordRotation: Type.Optional(
    Type.String({
      maxLength: 253,
      description:
        'any value; changing it (e.g. to the current date) gives the role a new password: the Secret is rewritten and Microservices using it roll',
    }),
  ),
});

export const DatabaseStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  secretName: Type.Optional(Type.String({ description: 'the Secret holding the application DSN (key dsn)' })),
  serverVersion: Type.Optional(Type.String({ description: 'what the server reported at the last successful reconcile' })),
});

export type DatabaseSpec = Static<typeof DatabaseSpecSchema>;
export type DatabaseStatus = Static<typeof DatabaseStatusSchema> & { conditions?: Condition[] };

export interface Database extends KubeObject {
  spec: DatabaseSpec;
  status?: DatabaseStatus;
}

export const DatabaseConditions = {
  Ready: 'Ready',
  Degraded: 'Degraded',
} as const;

/** Added before the operator changes anything on a server; removed once deletion is done. */
export const DATABASE_FINALIZER = 'flotilla.dev/database';
/** On the application Secret: the spec.passwordRotation its password was made for. */
export const ROTATION_ANNOTATION = 'flotilla.dev/password-rotation';
/** On the application Secret: the Database it belongs to. */
export const DATABASE_LABEL = 'flotilla.dev/database';
/** The key of the application Secret that holds the DSN. */
export const DSN_KEY = 'dsn';

export function deletionPolicyOf(db: Database): 'Retain' | 'Delete' {
  return db.spec.deletionPolicy ?? 'Retain';
}

export function serverSecretKey(db: Database): string {
  return db.spec.server.secretRef.key ?? 'dsn';
}

/** The application Secret: `<name>-db-credentials`. */
export function appSecretName(db: Database): string {
  return `${db.metadata.name}-db-credentials`;
}
