// Builds the Microservice CustomResourceDefinition from the TypeBox schemas. TypeBox emits
// JSON Schema; a CRD needs a *structural* OpenAPI v3 schema, so records become
// additionalProperties and literal unions become enums.
import { GROUP, MicroserviceSpecSchema, MicroserviceStatusSchema, VERSION } from './types.ts';
import { ROOT_RULES, withSpecValidations } from './validations.ts';
import { Resources, type ResourceType } from '@flotilla/kube';

export const MicroserviceResource: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: 'microservices',
  kind: 'Microservice',
  namespaced: true,
};

type Schema = Record<string, unknown>;

/** TypeBox JSON Schema -> structural OpenAPI v3 schema for apiextensions.k8s.io/v1. */
export function toStructural(schema: Schema): Schema {
  const { patternProperties, anyOf, properties, items, ...rest } = schema as Schema & {
    patternProperties?: Record<string, Schema>;
    anyOf?: Schema[];
    properties?: Record<string, Schema>;
    items?: Schema;
  };
  const out: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$id' || key === '$schema' || key === 'const') continue;
    out[key] = value;
  }
  if (anyOf) {
    const consts = anyOf.map((member) => member.const);
    if (!consts.every((c) => typeof c === 'string')) throw new Error('only unions of string literals are supported in CRD schemas');
    out.type = 'string';
    out.enum = consts;
  }
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, toStructural(value)]));
  }
  if (patternProperties) {
    const values = Object.values(patternProperties);
    if (values.length !== 1) throw new Error('only single-pattern records are supported in CRD schemas');
    out.additionalProperties = toStructural(values[0]!);
  }
  if (items) out.items = toStructural(items);
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

export function microserviceCrd(): Record<string, unknown> {
  const spec = withSpecValidations(toStructural(MicroserviceSpecSchema as unknown as Schema));
  const status = toStructural(MicroserviceStatusSchema as unknown as Schema);
  return {
    apiVersion: `${Resources.CustomResourceDefinition.group}/${Resources.CustomResourceDefinition.version}`,
    kind: 'CustomResourceDefinition',
    metadata: { name: `microservices.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        plural: 'microservices',
        singular: 'microservice',
        kind: 'Microservice',
        listKind: 'MicroserviceList',
        shortNames: ['msvc'],
        categories: ['flotilla'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Image', type: 'string', jsonPath: '.spec.image' },
            { name: 'Desired', type: 'integer', jsonPath: '.status.replicas' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A Flotilla microservice: reconciled into a Deployment, Service, ConfigMap, PodDisruptionBudget and (when autoscaling) a HorizontalPodAutoscaler.',
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
