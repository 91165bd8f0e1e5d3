/**
 * Request validation with TypeBox's compiler instead of Ajv: one schema both
 * types the handler and validates the wire. Bodies are checked strictly (no
 * coercion, unknown fields rejected when the schema says so); query strings,
 * params and headers arrive as strings and only what the document can say is
 * converted: a decimal number where the schema wants a number, `true`/`false`
 * where it wants a boolean. Nothing else is coerced (`limit=true` stays a
 * string and fails an integer schema).
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { ValidationError, type FieldViolation } from '@flotilla/core';
import { compileChecker } from '@flotilla/config';

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = compileChecker(schema);
  const part = PART_NAMES[httpPart ?? 'body'] ?? 'body';
  const hasDefaults = JSON.stringify(schema).includes('"default"');
  return (input: unknown) => {
    // Fast path: already valid and nothing to fill in (the common case for path params).
    if (!hasDefaults && checker.check(input)) return { value: input };
    const withDefaults = Value.Default(schema, part === 'body' ? input : Value.Clone(input));
    const value = part === 'body' ? withDefaults : convertStrings(schema, withDefaults);
    if (checker.check(value)) return { value };
    const violations: FieldViolation[] = checker
      .problems(value)
      .map((p) => ({ field: [part, ...p.path].join('.'), rule: p.rule, message: p.message }));
    return { error: new ValidationError(violations) };
  };
};

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** The string fields of `input` an object schema types as number or boolean, converted; everything else as is. */
function convertStrings(schema: TSchema, input: unknown): unknown {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (properties === undefined || input === null || typeof input !== 'object') return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    const property = properties[key];
    if (property !== undefined && typeof value === 'string') out[key] = convertScalar(property, value);
  }
  return out;
}

function convertScalar(schema: TSchema, value: string): unknown {
  const types = typesOf(schema);
  if ((types.has('integer') || types.has('number')) && NUMBER.test(value)) return Number(value);
  if (types.has('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function typesOf(schema: TSchema): Set<string> {
  const node = schema as { type?: string | string[]; anyOf?: TSchema[]; oneOf?: TSchema[] };
  const types = new Set<string>(node.type === undefined ? [] : [node.type].flat());
  for (const member of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) for (const t of typesOf(member)) types.add(t);
  return types;
}
