/**
 * Request validation with TypeBox's compiler instead of Ajv: one schema both
 * types the handler and validates the wire. Bodies are checked strictly (no
 * coercion, unknown fields rejected when the schema says so); query strings,
 * params and headers arrive as strings and are converted first.
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
    const value = part === 'body' ? withDefaults : Value.Convert(schema, withDefaults);
    if (checker.check(value)) return { value };
    const violations: FieldViolation[] = checker
      .problems(value)
      .map((p) => ({ field: [part, ...p.path].join('.'), rule: p.rule, message: p.message }));
    return { error: new ValidationError(violations) };
  };
};
