/** Reading the YAML of kustomizations, resources and patches, and printing the rendered objects. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { NotFoundError, UnprocessableError } from '@flotilla/core';
import { parseAllDocuments, stringify } from 'yaml';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text; a missing file is a NotFoundError naming who wanted it. */
export function readText(file: string, wantedBy: string): string {
  if (!existsSync(file) || !statSync(file).isFile()) throw new NotFoundError(`${wantedBy}: no file ${file}`);
  try {
    return utf8.decode(readFileSync(file));
  } catch {
    throw new UnprocessableError(`${wantedBy}: ${file} is not UTF-8 text`, { file });
  }
}

/** Every non-empty document of `text` (`---`-separated), as plain values; `source` names it in errors. */
export function parseDocuments(text: string, source: string): unknown[] {
  const values: unknown[] = [];
  for (const document of parseAllDocuments(text, { prettyErrors: true })) {
    const error = document.errors[0];
    if (error !== undefined) throw new UnprocessableError(`${source}: ${error.message}`, { source });
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

export function readDocuments(file: string, wantedBy: string): unknown[] {
  return parseDocuments(readText(file, wantedBy), file);
}

/**
 * The objects as one YAML stream, `---` between them. Written as YAML 1.1, so strings
 * such as "y", "on" or "no" stay quoted for the Kubernetes tools that read them that way.
 */
export function printDocuments(objects: unknown[]): string {
  return objects.map((object) => stringify(object, { version: '1.1', lineWidth: 0 })).join('---\n');
}
