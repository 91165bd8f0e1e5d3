/**
 * Path patterns and upstream path templates.
 *
 * A pattern is a list of segments: a literal, `:name` (captures one segment),
 * `*` (any one segment) and, last only, `**` (zero or more segments, the
 * "rest"). Matching works on the raw, still percent-encoded path, so captured
 * values are re-inserted into templates without a decode/encode round trip.
 *
 * A template is an upstream path with `{name}` (a captured segment) and `{**}`
 * (the rest, with its leading slash: write `/v2/users{**}`) placeholders; it
 * may carry a query.
 */

export type Params = Record<string, string>;

export interface MatchResult {
  params: Params;
  /** What `**` matched, including its leading slash ('' when nothing). */
  rest: string;
}

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'any' };

export interface CompiledPattern {
  readonly source: string;
  /** Literal leading segments joined, e.g. `/api/users` for `/api/users/:id/**`; '' when none. */
  readonly literalPrefix: string;
  readonly hasRest: boolean;
  readonly literalCount: number;
  readonly segmentCount: number;
  readonly paramNames: readonly string[];
  match(path: string): MatchResult | undefined;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class PatternError extends Error {}

export function compilePattern(source: string): CompiledPattern {
  if (!source.startsWith('/')) throw new PatternError('must start with "/"');
  const raw = source === '/' ? [] : source.slice(1).split('/');
  let hasRest = false;
  const segments: Segment[] = [];
  raw.forEach((part, index) => {
    if (part === '') throw new PatternError('has an empty segment (a double or trailing slash)');
    if (part === '**') {
      if (index !== raw.length - 1) throw new PatternError('"**" may only be the last segment');
      hasRest = true;
    } else if (part === '*') segments.push({ kind: 'any' });
    else if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) throw new PatternError(`"${part}" is not a valid parameter name`);
      if (segments.some((s) => s.kind === 'param' && s.name === name)) throw new PatternError(`captures "${name}" twice`);
      segments.push({ kind: 'param', name });
    } else {
      if (part.includes('*') || part.includes(':') || part.includes('?'))
        throw new PatternError(`segment "${part}" mixes literal text with a wildcard`);
      segments.push({ kind: 'literal', value: part });
    }
  });

  let leading = 0;
  while (leading < segments.length && segments[leading]?.kind === 'literal') leading++;
  const literalPrefix = segments
    .slice(0, leading)
    .map((s) => `/${(s as { value: string }).value}`)
    .join('');
  const allLiteral = leading === segments.length;
  const paramNames = segments.flatMap((s) => (s.kind === 'param' ? [s.name] : []));

  // Fast paths: a literal pattern is a string compare, a literal prefix with `**` a startsWith.
  let match: (path: string) => MatchResult | undefined;
  if (allLiteral && !hasRest) {
    const exact = literalPrefix === '' ? '/' : literalPrefix;
    match = (path) => (path === exact ? { params: {}, rest: '' } : undefined);
  } else if (allLiteral && hasRest) {
    const boundary = literalPrefix.length;
    match = (path) => {
      if (!path.startsWith(literalPrefix)) return undefined;
      if (path.length === boundary) return { params: {}, rest: '' };
      if (path.charCodeAt(boundary) !== 47 /* / */) return undefined;
      return { params: {}, rest: path === '/' ? '' : path.slice(boundary) };
    };
  } else {
    match = (path) => {
      if (!path.startsWith(literalPrefix)) return undefined;
      const parts = path.slice(1).split('/');
      if (hasRest ? parts.length < segments.length : parts.length !== segments.length) return undefined;
      const params: Params = {};
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i] as Segment;
        const part = parts[i] as string;
        if (segment.kind === 'literal') {
          if (part !== segment.value) return undefined;
        } else {
          if (part === '') return undefined;
          if (segment.kind === 'param') params[segment.name] = part;
        }
      }
      const rest = hasRest && parts.length > segments.length ? `/${parts.slice(segments.length).join('/')}` : '';
      return { params, rest };
    };
  }

  return {
    source,
    literalPrefix,
    hasRest,
    literalCount: segments.filter((s) => s.kind === 'literal').length,
    segmentCount: segments.length,
    paramNames,
    match,
  };
}

export interface CompiledTemplate {
  readonly source: string;
  readonly names: readonly string[];
  readonly usesRest: boolean;
  render(params: Params, rest: string): string;
}

/** `/orders?userId={id}` → a function of the captured params. */
export function compileTemplate(source: string): CompiledTemplate {
  if (!source.startsWith('/')) throw new PatternError('must start with "/"');
  const pieces: Array<string | { name: string }> = [];
  const names: string[] = [];
  let usesRest = false;
  const placeholder = /\{([^{}]*)\}/g;
  let last = 0;
  for (let found = placeholder.exec(source); found !== null; found = placeholder.exec(source)) {
    pieces.push(source.slice(last, found.index));
    const name = found[1] as string;
    if (name === '**') usesRest = true;
    else if (!PARAM_NAME.test(name)) throw new PatternError(`"{${name}}" is not a valid placeholder`);
    else names.push(name);
    pieces.push({ name });
    last = found.index + found[0].length;
  }
  pieces.push(source.slice(last));
  if (pieces.some((p) => typeof p === 'string' && (p.includes('{') || p.includes('}'))))
    throw new PatternError('has an unbalanced "{" or "}"');

  const render = (params: Params, rest: string): string => {
    let out = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') out += piece;
      else if (piece.name === '**') out += rest;
      else out += params[piece.name] ?? '';
    }
    return out;
  };
  return { source, names, usesRest, render };
}
