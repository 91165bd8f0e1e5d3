/**
 * Checks an OpenAPI document against the published OpenAPI JSON Schema for its
 * version (3.1 here), and against the contract Flotilla promises on top: every
 * error response is documented as `application/problem+json`.
 */
import { Validator } from '@seriousme/openapi-schema-validator';

type Operation = { responses?: Record<string, { content?: Record<string, unknown> }> };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** What is wrong with `document`, one line per problem; empty when it is valid. */
export async function openApiProblems(document: unknown): Promise<string[]> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as Parameters<Validator['validate']>[0]);
  const problems: string[] = [];
  if (!result.valid) {
    const errors = Array.isArray(result.errors) ? result.errors : [result.errors];
    for (const error of errors) problems.push(`schema: ${JSON.stringify(error)}`);
  }
  const paths = (document as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!/^[45]/.test(status)) continue;
        const types = Object.keys(response.content ?? {});
        if (types.length !== 1 || types[0] !== 'application/problem+json')
          problems.push(
            `${method.toUpperCase()} ${path} ${status}: documented as ${types.join(', ') || 'no content'}, sent as application/problem+json`,
          );
      }
    }
  }
  return problems;
}
