// The Microservice's cross-field rules, as CEL (`x-kubernetes-validations`) the API server
// runs on every write, after defaulting. The field-level rules (types, ranges, patterns)
// come from the TypeBox types; these are the ones a JSON Schema cannot say. Each message
// names the fields involved, since the API server prefixes only the path of the object the
// rule sits on.

type Schema = Record<string, unknown>;

export interface ValidationRule {
  rule: string;
  message: string;
  /** relative to the object the rule sits on, e.g. `.replicas`: where the error is reported */
  fieldPath?: string;
  /** how kubectl words it; FieldValueDuplicate would print the value ("object") instead of the message */
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired';
}

/** Rules by the path of the spec property they sit on ('' is the spec itself). */
const SPEC_RULES: Record<string, ValidationRule[]> = {
  '': [
    {
      rule: '!(has(self.replicas) && has(self.autoscaling))',
      message:
        'set either spec.replicas or spec.autoscaling, not both: with autoscaling the HorizontalPodAutoscaler owns the replica count (remove spec.replicas)',
      fieldPath: '.replicas',
      reason: 'FieldValueForbidden',
    },
  ],
  autoscaling: [
    {
      rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas',
      message: 'spec.autoscaling.minReplicas must not be greater than spec.autoscaling.maxReplicas',
      fieldPath: '.minReplicas',
    },
  ],
  ports: [distinctPorts('http', 'grpc'), distinctPorts('http', 'metrics'), distinctPorts('grpc', 'metrics')],
  rollout: [
    {
      rule: "!has(self.strategy) || self.strategy != 'Recreate' || (!has(self.maxSurge) && !has(self.maxUnavailable))",
      message:
        'spec.rollout.maxSurge and spec.rollout.maxUnavailable apply only to the RollingUpdate strategy: remove them or use RollingUpdate',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "!(has(self.maxSurge) && has(self.maxUnavailable) && self.maxSurge.matches('^0+%?$') && self.maxUnavailable.matches('^0+%?$'))",
      message: 'spec.rollout.maxSurge and spec.rollout.maxUnavailable cannot both be 0: the rollout could never replace a Pod',
      fieldPath: '.maxUnavailable',
    },
  ],
  env: [
    {
      rule: 'self.all(e, self.exists_one(f, f.name == e.name))',
      message: 'spec.env names must be unique: the container would see only one of the values',
    },
  ],
};

/** Rules on fields the schema may not have (yet): added only where the property and its `requires` exist. */
const OPTIONAL_RULES: Record<string, { requires: string[]; rules: ValidationRule[] }> = {
  // The service's data lives in that database: moving it is a migration, not an edit.
  database: {
    requires: ['name'],
    rules: [
      {
        rule: '!has(oldSelf.name) || !has(self.name) || self.name == oldSelf.name',
        message: 'spec.database.name cannot be changed: the service keeps its data there (create a new Microservice to move it)',
        fieldPath: '.name',
      },
    ],
  },
};

/** The rule on the whole object: the name becomes a Service name, so it must be a DNS-1035 label. */
export const ROOT_RULES: ValidationRule[] = [
  {
    rule: "size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message:
      'metadata.name must be a DNS-1035 label (at most 63 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit): it names the Service',
  },
];

function distinctPorts(a: string, b: string): ValidationRule {
  const defaults = a === 'http' ? ' (http is 8080 unless set)' : '';
  return {
    rule: `!has(self.${a}) || !has(self.${b}) || self.${a} != self.${b}`,
    message: `spec.ports.${a} and spec.ports.${b} must differ: each port needs its own number${defaults}`,
    fieldPath: `.${b}`,
  };
}

function withRules(schema: Schema, rules: ValidationRule[]): Schema {
  const existing = (schema['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? [];
  return { ...schema, 'x-kubernetes-validations': [...existing, ...rules] };
}

function at(schema: Schema, path: string): Schema | undefined {
  if (path === '') return schema;
  return (schema.properties as Record<string, Schema> | undefined)?.[path];
}

/** The structural spec schema with the cross-field rules attached where they belong. */
export function withSpecValidations(spec: Schema): Schema {
  const properties = { ...((spec.properties as Record<string, Schema> | undefined) ?? {}) };
  for (const [path, rules] of Object.entries(SPEC_RULES)) {
    if (path === '') continue;
    const target = at(spec, path);
    if (!target) throw new Error(`CRD validation rules for spec.${path}, which the schema does not have`);
    properties[path] = withRules(target, rules);
  }
  for (const [path, { requires, rules }] of Object.entries(OPTIONAL_RULES)) {
    const target = at(spec, path);
    if (target && requires.every((name) => at(target, name))) properties[path] = withRules(target, rules);
  }
  return withRules({ ...spec, properties }, SPEC_RULES['']!);
}
