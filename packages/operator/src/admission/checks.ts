// What the webhook checks on a Microservice beyond the CRD's schema and CEL rules: the
// image reference's grammar, and that what it references exists in its namespace. On an
// update only what changed is checked, so a Secret deleted since does not block an
// unrelated edit (the Pods report it).
import type { KubeObject, ResourceType } from '@flotilla/kube';
import type { Microservice } from '../microservice/types.ts';
import { ImageReferenceError, parseImageReference } from './image-reference.ts';
import { referencesOf, sameTarget, type Reference } from './references.ts';

export interface Problem {
  /** the field at fault, e.g. spec.env[0].secretKeyRef.name */
  field: string;
  /** a metav1.CauseType: stable, for clients that branch on it */
  reason: 'FieldValueInvalid' | 'FieldValueNotFound';
  /** what is wrong, without the field */
  message: string;
}

export interface Findings {
  /** any problem denies the request */
  problems: Problem[];
  /** shown to the user (kubectl prints them) without denying */
  warnings: string[];
}

export type LookedUp = KubeObject & { data?: Record<string, string> };

/** The named object, or undefined when it does not exist; throws when it cannot tell. */
export type Lookup = (type: ResourceType, namespace: string, name: string) => Promise<LookedUp | undefined>;

function checkImage(object: Microservice, oldObject: Microservice | undefined, findings: Findings): void {
  const image = object.spec?.image;
  if (typeof image !== 'string' || image === oldObject?.spec?.image) return;
  try {
    const reference = parseImageReference(image);
    if (!reference.digest && (reference.tag === undefined || reference.tag === 'latest'))
      findings.warnings.push(`spec.image "${image}" names no fixed version: Pods started at different times may run different images`);
  } catch (error) {
    if (!(error instanceof ImageReferenceError)) throw error;
    findings.problems.push({ field: 'spec.image', reason: 'FieldValueInvalid', message: error.message });
  }
}

async function checkReference(reference: Reference, namespace: string, lookup: Lookup, findings: Findings): Promise<void> {
  const kind = reference.type.kind;
  let found: LookedUp | undefined;
  try {
    found = await lookup(reference.type, namespace, reference.name);
  } catch (error) {
    // Not knowing is not a reason to refuse: the Pods would report a missing object anyway.
    const why = error instanceof Error ? error.message : String(error);
    findings.warnings.push(`could not check that ${kind} "${reference.name}" (${reference.field}) exists: ${why}`);
    return;
  }
  if (!found) {
    findings.problems.push({
      field: reference.field,
      reason: 'FieldValueNotFound',
      message: `${kind} "${reference.name}" not found in namespace "${namespace}": create it first`,
    });
  } else if (reference.key && found.data?.[reference.key.name] === undefined) {
    findings.problems.push({
      field: reference.key.field,
      reason: 'FieldValueNotFound',
      message: `${kind} "${reference.name}" in namespace "${namespace}" has no key "${reference.key.name}"`,
    });
  }
}

export async function checkMicroservice(
  namespace: string,
  object: Microservice,
  oldObject: Microservice | undefined,
  lookup: Lookup,
): Promise<Findings> {
  const findings: Findings = { problems: [], warnings: [] };
  checkImage(object, oldObject, findings);
  const before = referencesOf(oldObject?.spec);
  const changed = referencesOf(object.spec).filter((reference) => !before.some((old) => sameTarget(old, reference)));
  // Looked up concurrently, reported in the order of the spec.
  const each = await Promise.all(
    changed.map(async (reference) => {
      const own: Findings = { problems: [], warnings: [] };
      await checkReference(reference, namespace, lookup, own);
      return own;
    }),
  );
  for (const own of each) {
    findings.problems.push(...own.problems);
    findings.warnings.push(...own.warnings);
  }
  return findings;
}
