// Builds the Database CustomResourceDefinition from the TypeBox schemas, through the same
// structural conversion as the Microservice CRD.
import { Resources, type ResourceType } from '@flotilla/kube';
import { toStructural } from '../microservice/crd.ts';
import { GROUP, VERSION } from '../microservice/types.ts';
import { DatabaseSpecSchema, DatabaseStatusSchema } from './types.ts';

export const DatabaseResource: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: 'databases',
  kind: 'Database',
  namespaced: true,
};

type Schema = Record<string, unknown>;

/** Rules across spec fields (the field-level ones sit on the fields, in types.ts). */
const SPEC_RULES = [
  {
    rule: "self.engine != 'mysql' || size(self.databaseName) <= 32",
    message: 'with engine mysql, spec.databaseName is at most 32 characters: it also names the MySQL user',
    fieldPath: '.databaseName',
  },
];

const ROOT_RULES = [
  {
    rule: 'size(self.metadata.name) <= 63',
    message: 'metadata.name is at most 63 characters: it names the Secret <name>-db-credentials',
  },
];

export function databaseCrd(): Record<string, unknown> {
  const spec = { ...toStructural(DatabaseSpecSchema as unknown as Schema), 'x-kubernetes-validations': SPEC_RULES };
  const status = toStructural(DatabaseStatusSchema as unknown as Schema);
  return {
    apiVersion: `${Resources.CustomResourceDefinition.group}/${Resources.CustomResourceDefinition.version}`,
    kind: 'CustomResourceDefinition',
    metadata: { name: `databases.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        plural: 'databases',
        singular: 'database',
        kind: 'Database',
        listKind: 'DatabaseList',
        shortNames: ['fdb'],
        categories: ['flotilla'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Engine', type: 'string', jsonPath: '.spec.engine' },
            { name: 'Database', type: 'string', jsonPath: '.spec.databaseName' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
            { name: 'Secret', type: 'string', jsonPath: '.status.secretName' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A database and its own login role on a PostgreSQL or MySQL/MariaDB server, with the application DSN in a Secret the Database owns.',
              required: ['spec'],
              'x-kubernetes-validations': ROOT_RULES,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}
