/**
 * Whether documents may be stored: each is a YAML mapping, and the config a
 * service would build from them (its namespace's `shared` below its own
 * document) passes the JSON Schema it published to the centre, as
 * `flotilla config set` checks it. `${VAR}` references are not resolved
 * (one with a default is checked with it). A document of a service that
 * published no schema is checked for YAML only; a change to `shared` is
 * checked against every service of the namespace.
 *
 * Under etcd and kubernetes, services also read `config/<ns>/*.yaml` below
 * the centre's documents; those files are not part of this check.
 */
import { checkAgainstSchema, ConfigError, type ConfigLayer, type ConfigProblem, parseConfigText, SHARED_DOCUMENT } from '@flotilla/config';
import type { DocumentError } from './config-centre-schemas.ts';

/** A namespace as it would be once the candidate documents are stored. */
export interface CandidateNamespace {
  namespace: string;
  /** Every document the namespace would have. */
  documents(): Promise<string[]>;
  /** A document's text (the candidate's, or the one stored); undefined when it has none. */
  text(service: string): Promise<string | undefined>;
  /** The schema a service published (or the one an import brings); undefined when none is known. */
  schema(service: string): Promise<object | undefined>;
}

/** Every problem of the candidate documents `changed`; empty when they may be stored. */
export async function candidateProblems(candidate: CandidateNamespace, changed: readonly string[]): Promise<DocumentError[]> {
  const errors: DocumentError[] = [];
  for (const service of changed) {
    const text = await candidate.text(service);
    if (text === undefined) continue;
    try {
      parseConfigText(text, `${candidate.namespace}/${service}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...toDocumentErrors(error.problems, service, service, changed.length > 1));
    }
  }
  if (errors.length > 0) return errors;

  const targets = changed.includes(SHARED_DOCUMENT)
    ? (await candidate.documents()).filter((s) => s !== SHARED_DOCUMENT)
    : changed.filter((s) => s !== SHARED_DOCUMENT);
  const edited = changed.length === 1 ? changed[0] : undefined;
  for (const target of targets) {
    const schema = await candidate.schema(target);
    if (schema === undefined) continue;
    const layers: ConfigLayer[] = [];
    const shared = await candidate.text(SHARED_DOCUMENT);
    if (shared !== undefined) layers.push({ source: `${candidate.namespace}/${SHARED_DOCUMENT}`, text: shared });
    const own = await candidate.text(target);
    if (own !== undefined) layers.push({ source: `${candidate.namespace}/${target}`, text: own });
    try {
      checkAgainstSchema(target, schema, layers);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...toDocumentErrors(error.problems, target, edited, edited === undefined));
    }
  }
  return errors;
}

/** A problem's dotted key as a JSON Pointer; the service named when it is not the one edited. */
function toDocumentErrors(problems: ConfigProblem[], service: string, edited: string | undefined, nameAlways: boolean): DocumentError[] {
  return problems.map((problem) => ({
    path: pointerOf(problem.key),
    message: problem.rule,
    ...(nameAlways || service !== edited ? { service } : {}),
  }));
}

function pointerOf(key: string): string {
  if (key === '' || key === '(file)' || key === '(root)') return '';
  return `/${key
    .split('.')
    .map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('/')}`;
}
