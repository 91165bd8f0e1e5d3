/** Optimistic concurrency over HTTP: a resource's version is its strong ETag. */
import { PreconditionFailedError } from '@flotilla/core';

export function versionEtag(version: number): string {
  return `"${version}"`;
}

/**
 * If-Match → the version the client saw. `*` or no header: any current version.
 * Strong comparison only (RFC 9110 §13.1.1): a weak or unparseable tag never matches.
 */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const versions = ifMatch
    .split(',')
    .map((tag) => /^\s*"(\d{1,15})"\s*$/.exec(tag)?.[1])
    .filter((v): v is string => v !== undefined);
  if (versions.length !== 1) throw new PreconditionFailedError('If-Match must be exactly one strong ETag from a previous response');
  return Number(versions[0]);
}
