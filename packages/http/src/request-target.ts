/**
 * Checks on the request target that no route schema can make: a NUL
 * character (`%00`, which PostgreSQL text cannot hold and C libraries cut
 * at), a query string that is not percent-encoded UTF-8 (the parser would
 * pass the bytes on undecoded), and query parameter names that reach object
 * prototypes in code that merges parsed queries (`__proto__`, `constructor`,
 * `prototype`, also as a part of `a[b]` or `a.b` names). Each is a 400
 * `bad-request` naming the rule, not the input. Cheap `includes` tests guard
 * the rest, so an ordinary target costs a scan or two.
 */
import { FlotillaError } from '@flotilla/core';

const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Why the target (`request.url`) is refused, or undefined when it is fine. */
export function requestTargetProblem(url: string): FlotillaError | undefined {
  if (url.includes('%00')) return refused('The request target contains a NUL character (%00)');
  const start = url.indexOf('?');
  if (start === -1) return undefined;
  const query = url.slice(start + 1);
  let decoded = query;
  if (query.includes('%')) {
    try {
      decoded = decodeURIComponent(query);
    } catch {
      return refused('The query string is not percent-encoded UTF-8');
    }
  }
  if ((decoded.includes('__proto__') || decoded.includes('constructor') || decoded.includes('prototype')) && usesReservedName(query))
    return refused('The query string uses a reserved parameter name (__proto__, constructor or prototype)');
  return undefined;
}

function usesReservedName(query: string): boolean {
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const name = decodeURIComponent((equals === -1 ? pair : pair.slice(0, equals)).replaceAll('+', ' '));
    if (name.split(/[[\].]/).some((part) => RESERVED_NAMES.has(part))) return true;
  }
  return false;
}

function refused(detail: string): FlotillaError {
  return new FlotillaError('bad-request', detail);
}
