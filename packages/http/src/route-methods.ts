/**
 * Which methods the app serves at a concrete path, for the `Allow` header of
 * a 405. Fastify does not expose its router's lookup, so the table is kept
 * from the `onRoute` hook (method + URL pattern) and consulted only when the
 * router found nothing: a matched request never pays for it.
 *
 * Patterns use find-my-way's syntax: static text, `:name` (up to the next
 * `/`, or to a `-`/`.` the pattern continues with), `:name(regex)`, `::` for a
 * literal colon, and a trailing `*`.
 */
import type { FastifyInstance } from 'fastify';

interface RoutePattern {
  matcher: RegExp;
  methods: Set<string>;
}

export class RouteMethods {
  readonly #patterns = new Map<string, RoutePattern>();

  add(url: string, methods: readonly string[]): void {
    let pattern = this.#patterns.get(url);
    if (pattern === undefined) {
      pattern = { matcher: compileRoutePattern(url), methods: new Set() };
      this.#patterns.set(url, pattern);
    }
    for (const method of methods) pattern.methods.add(method.toUpperCase());
    // Fastify answers HEAD wherever it answers GET (exposeHeadRoutes).
    if (pattern.methods.has('GET')) pattern.methods.add('HEAD');
  }

  /** The methods of every route whose pattern matches `path` (no query), sorted; empty when none does. */
  allowed(path: string): string[] {
    const decoded = decodedPath(path);
    const methods = new Set<string>();
    for (const { matcher, methods: own } of this.#patterns.values()) {
      if (matcher.test(path) || (decoded !== path && matcher.test(decoded))) for (const method of own) methods.add(method);
    }
    return [...methods].sort();
  }
}

/** Collects the app's routes into `table`; call before any route is added. */
export function trackRouteMethods(app: FastifyInstance, table: RouteMethods): void {
  app.addHook('onRoute', (route) => {
    table.add(route.url, Array.isArray(route.method) ? route.method : [route.method as string]);
  });
}

/** The router compares static text with the percent-decoded path; a path that does not decode is compared as sent. */
function decodedPath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

export function compileRoutePattern(url: string): RegExp {
  let source = '^';
  let i = 0;
  while (i < url.length) {
    const c = url[i] as string;
    if (c === ':' && url[i + 1] === ':') {
      source += ':';
      i += 2;
    } else if (c === ':') {
      i = parameter(url, i + 1, (part) => {
        source += part;
      });
    } else if (c === '*') {
      source += '.*';
      i++;
    } else {
      source += escapeRegExp(c);
      i++;
    }
  }
  return new RegExp(`${source}$`);
}

/** Reads a parameter's name and optional `(regex)` from `start`; emits its regex and returns where the pattern goes on. */
function parameter(url: string, start: number, emit: (part: string) => void): number {
  let i = start;
  while (i < url.length && !'(-./'.includes(url[i] as string)) i++;
  if (url[i] !== '(') {
    emit('[^/]+?');
    return i;
  }
  const close = closingParenthesis(url, i);
  emit(
    `(?:${url
      .slice(i + 1, close)
      .replace(/^\^/, '')
      .replace(/\$$/, '')})`,
  );
  return close + 1;
}

function closingParenthesis(url: string, open: number): number {
  let depth = 0;
  for (let i = open; i < url.length; i++) {
    const c = url[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return url.length - 1;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
