/**
 * The JSON request body parser. A body is read only when it is I-JSON
 * (RFC 7493), the subset every JSON parser reads the same way: UTF-8, no
 * member name twice in one object, no unpaired surrogate, no number past the
 * largest double (`1e400` would be read as Infinity). A body two parsers read differently (the gateway and a
 * service, a service and its database) is a way to smuggle a second meaning
 * past a check, so it is refused, not guessed at. On top of that: no
 * `__proto__` or `constructor.prototype` member (prototype pollution in code
 * that merges bodies), no NUL character (PostgreSQL text cannot hold one) and
 * no nesting deeper than `JSON_MAX_DEPTH`. Every refusal is a 400
 * `bad-request` whose detail names the rule, never the input.
 *
 * Integers past 2^53 (I-JSON's other number rule, a SHOULD) are read, rounded
 * as JSON.parse rounds them: the route's schema then names the field (an
 * integer schema with a `maximum` refuses them); refusing them here would
 * only say "a number".
 */
import { isUtf8 } from 'node:buffer';
import { FlotillaError } from '@flotilla/core';
import type { FastifyInstance } from 'fastify';

/** Objects and arrays nest at most this deep (Flotilla's own bodies nest three levels). */
export const JSON_MAX_DEPTH = 64;

/** Replaces Fastify's JSON parser for `application/json` (any parameters). */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = parseJsonBody(body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    done(null, value);
  });
}

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw refused('The request body is empty: send a JSON document, or no Content-Type');
  if (!isUtf8(body)) throw refused('The request body is not valid UTF-8');
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refused('The request body is not valid JSON');
  }
  checkInteroperable(text);
  return value;
}

function refused(detail: string): FlotillaError {
  return new FlotillaError('bad-request', detail);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

interface Container {
  /** The member names seen so far; undefined for an array. */
  names: Set<string> | undefined;
  /** True where the next string is a member name (after `{` or `,` in an object). */
  expectingName: boolean;
  /** The member name the next value belongs to. */
  name: string | undefined;
  /** The member name this container is the value of. */
  parentName: string | undefined;
}

/**
 * One pass over text `JSON.parse` has already accepted (so it is well formed):
 * the rules JSON itself leaves open. Iterative, so depth costs no stack.
 */
function checkInteroperable(text: string): void {
  const stack: Container[] = [];
  let top: Container | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      const raw = text.slice(i + 1, end);
      // Without a backslash a string is its own value: UTF-8 was checked, and JSON.parse refused raw control characters.
      const value = raw.includes('\\') ? unescaped(raw) : raw;
      if (top?.expectingName === true) addName(top, value);
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= JSON_MAX_DEPTH) throw refused(`The request body nests deeper than ${JSON_MAX_DEPTH} levels`);
      top = {
        names: c === OPEN_OBJECT ? new Set() : undefined,
        expectingName: c === OPEN_OBJECT,
        name: undefined,
        parentName: top?.names === undefined ? undefined : top.name,
      };
      stack.push(top);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      top = stack[stack.length - 1];
    } else if (c === COMMA) {
      if (top?.names !== undefined) top.expectingName = true;
    } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
      checkNumber(text.slice(i, end));
      i = end - 1;
    }
  }
}

function addName(container: Container, name: string): void {
  if (name === '__proto__' || (name === 'prototype' && container.parentName === 'constructor'))
    throw refused('The request body uses a reserved member name (__proto__ or constructor.prototype)');
  const names = container.names as Set<string>;
  if (names.has(name)) throw refused('The request body names one member twice in the same object');
  names.add(name);
  container.name = name;
  container.expectingName = false;
}

/** The index of the quote ending the string that opens at `start` (an even run of backslashes before it). */
function closingQuote(text: string, start: number): number {
  let end = start;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end === -1) throw refused('The request body is not valid JSON');
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

/** The string's value, once escapes are resolved: no NUL, no unpaired surrogate. */
function unescaped(raw: string): string {
  const value = JSON.parse(`"${raw}"`) as string;
  if (value.includes('\0')) throw refused('The request body contains a NUL character');
  if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed())
    throw refused('The request body contains an unpaired UTF-16 surrogate escape');
  return value;
}

function isNumberChar(c: number): boolean {
  // digits . e E + -
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS;
}

/** A number JSON.parse would turn into Infinity. */
function checkNumber(token: string): void {
  if (!Number.isFinite(Number(token))) throw refused('The request body contains a number beyond the largest double');
}
