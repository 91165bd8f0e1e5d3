/**
 * A query or header parameter with a default is one a client may leave out:
 * the server fills it in. TypeBox types it as present (the handler always sees
 * a value), so the generated document would mark it required; this pass says
 * what the server accepts instead.
 */
interface Parameter {
  required?: boolean;
  in?: string;
  schema?: { default?: unknown };
}

type Paths = Record<string, Record<string, { parameters?: Parameter[] } | unknown>>;

export function optionalWhenDefaulted<T extends { paths?: Paths }>(document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const parameters = (operation as { parameters?: Parameter[] } | undefined)?.parameters;
      if (!Array.isArray(parameters)) continue;
      for (const parameter of parameters) {
        if (parameter.in !== 'path' && parameter.schema?.default !== undefined) parameter.required = false;
      }
    }
  }
  return document;
}
