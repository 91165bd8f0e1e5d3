/**
 * The route table: routes and aggregations compiled from config into
 * matchers, checked for cross-references, ordered most specific first.
 * A table is immutable; a reload builds a new one and swaps the reference,
 * so a request keeps the table it started with.
 */
import type { RoutePolicy } from '../policies/settings.ts';
import { ConfigError, type ConfigProblem } from '@flotilla/config';
import type { AggregationSettings, GatewaySettings, RouteSettings } from '../config.ts';
import { compilePattern, compileTemplate, PatternError, type CompiledPattern, type CompiledTemplate, type MatchResult } from './pattern.ts';

export interface ProxyRoute {
  readonly kind: 'proxy';
  readonly name: string;
  readonly policy: RoutePolicy;
  readonly pattern: CompiledPattern;
  /** Undefined: every method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly upstream: string;
  readonly timeoutMs: number;
  /** Largest request body forwarded; a larger declared one is refused before any upstream is asked. */
  readonly bodyLimitBytes: number;
  /** Strip or rewrite applied to the public path (query excluded). */
  upstreamPath(path: string, match: MatchResult): string;
  /** What the public path looks like for an upstream path, for the merged OpenAPI; undefined if this route cannot produce it. */
  publicPath(upstreamPath: string): string | undefined;
  /** An upstream `Location` in public terms: path-only values this route maps back are rewritten, others kept. */
  publicLocation(location: string): string;
}

export interface AggregationPart {
  readonly name: string;
  readonly upstream: string;
  readonly template: CompiledTemplate;
  readonly required: boolean;
  readonly timeoutMs: number;
}

export interface AggregationRoute {
  readonly kind: 'aggregation';
  readonly name: string;
  readonly policy: RoutePolicy;
  readonly pattern: CompiledPattern;
  readonly parts: readonly AggregationPart[];
}

export type GatewayRoute = ProxyRoute | AggregationRoute;

export type Lookup =
  | { found: 'route'; route: GatewayRoute; match: MatchResult }
  | { found: 'method-not-allowed'; allow: string[] }
  | { found: 'none' };

const NONE: Lookup = { found: 'none' };

export class RouteTable {
  /** Bumped per reload; logged so a request can be tied to the table that served it. */
  readonly version: number;
  readonly routes: readonly GatewayRoute[];

  constructor(version: number, routes: GatewayRoute[]) {
    this.version = version;
    this.routes = routes;
  }

  lookup(method: string, path: string): Lookup {
    let allow: string[] | undefined;
    for (const route of this.routes) {
      const match = route.pattern.match(path);
      if (match === undefined) continue;
      if (route.kind === 'aggregation') {
        if (method === 'GET' || method === 'HEAD') return { found: 'route', route, match };
        allow ??= [];
        allow.push('GET', 'HEAD');
        continue;
      }
      if (route.methods === undefined || route.methods.has(method)) return { found: 'route', route, match };
      allow ??= [];
      allow.push(...route.methods);
    }
    return allow === undefined ? NONE : { found: 'method-not-allowed', allow: [...new Set(allow)] };
  }
}

/** Compiles the routing part of the config; throws ConfigError listing every problem. */
export function compileRouteTable(
  settings: Pick<GatewaySettings, 'routes' | 'aggregations' | 'upstreams' | 'proxy'>,
  version: number,
  source: string,
): RouteTable {
  const problems: ConfigProblem[] = [];
  const upstreams: Record<string, readonly string[]> = {};
  // Routes may only name declared upstreams (static or discovered: the resolver tells them apart).
  for (const [name, spec] of Object.entries(settings.upstreams)) upstreams[name] = [...(spec.instances ?? [])];

  const compiled: Array<{ route: GatewayRoute; order: number }> = [];
  const names = new Set<string>();
  const claim = (name: string, key: string): void => {
    if (names.has(name)) problems.push({ key, value: name, rule: 'names a second route or aggregation the same' });
    names.add(name);
  };

  settings.aggregations.forEach((spec, index) => {
    const key = `aggregations.${index}`;
    claim(spec.name, `${key}.name`);
    const route = compileAggregation(spec, key, upstreams, settings.proxy.defaultTimeoutMs, problems);
    if (route !== undefined) compiled.push({ route, order: index });
  });
  settings.routes.forEach((spec, index) => {
    const key = `routes.${index}`;
    const name = spec.name ?? `${spec.upstream}-${index}`;
    claim(name, `${key}.name`);
    const route = compileProxyRoute(spec, name, key, upstreams, settings.proxy, problems);
    if (route !== undefined) compiled.push({ route, order: settings.aggregations.length + index });
  });

  if (problems.length > 0) throw new ConfigError('gateway', source, problems);
  compiled.sort((a, b) => specificity(a.route.pattern) - specificity(b.route.pattern) || a.order - b.order);
  return new RouteTable(
    version,
    compiled.map((c) => c.route),
  );
}

/** Lower sorts first: patterns without `**`, then more literal segments, then more segments. */
function specificity(pattern: CompiledPattern): number {
  return (pattern.hasRest ? 1_000_000 : 0) - pattern.literalCount * 1_000 - pattern.segmentCount;
}

function pattern(source: string, key: string, problems: ConfigProblem[]): CompiledPattern | undefined {
  try {
    return compilePattern(source);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    problems.push({ key, value: source, rule: error.message });
    return undefined;
  }
}

function template(source: string, key: string, problems: ConfigProblem[]): CompiledTemplate | undefined {
  try {
    return compileTemplate(source);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    problems.push({ key, value: source, rule: error.message });
    return undefined;
  }
}

function checkUpstream(name: string, key: string, upstreams: Record<string, readonly string[]>, problems: ConfigProblem[]): void {
  if (upstreams[name] === undefined)
    problems.push({
      key,
      value: name,
      rule: `is not declared under "upstreams" (known: ${Object.keys(upstreams).join(', ') || 'none'})`,
    });
}

function checkPlaceholders(
  compiledTemplate: CompiledTemplate,
  compiledPattern: CompiledPattern,
  key: string,
  problems: ConfigProblem[],
): void {
  for (const name of compiledTemplate.names) {
    if (!compiledPattern.paramNames.includes(name))
      problems.push({
        key,
        value: compiledTemplate.source,
        rule: `uses {${name}}, which the path "${compiledPattern.source}" does not capture`,
      });
  }
  if (compiledTemplate.usesRest && !compiledPattern.hasRest)
    problems.push({
      key,
      value: compiledTemplate.source,
      rule: `uses {**}, but the path "${compiledPattern.source}" does not end in **`,
    });
}

function compileProxyRoute(
  spec: RouteSettings,
  name: string,
  key: string,
  upstreams: Record<string, readonly string[]>,
  defaults: { defaultTimeoutMs: number; bodyLimitBytes: number },
  problems: ConfigProblem[],
): ProxyRoute | undefined {
  const { defaultTimeoutMs } = defaults;
  const compiledPattern = pattern(spec.path, `${key}.path`, problems);
  checkUpstream(spec.upstream, `${key}.upstream`, upstreams, problems);
  if (spec.stripPrefix !== undefined && spec.rewrite !== undefined)
    problems.push({ key: `${key}.rewrite`, value: spec.rewrite, rule: 'cannot be combined with stripPrefix: use one' });
  const rewrite = spec.rewrite === undefined ? undefined : template(spec.rewrite, `${key}.rewrite`, problems);
  if (compiledPattern === undefined) return undefined;
  if (rewrite !== undefined) checkPlaceholders(rewrite, compiledPattern, `${key}.rewrite`, problems);
  const strip = spec.stripPrefix;
  if (strip !== undefined && !(compiledPattern.literalPrefix === strip || compiledPattern.literalPrefix.startsWith(`${strip}/`))) {
    problems.push({
      key: `${key}.stripPrefix`,
      value: strip,
      rule: `is not a leading literal part of the path "${spec.path}"`,
    });
  }

  let upstreamPath: ProxyRoute['upstreamPath'];
  let publicPath: ProxyRoute['publicPath'];
  if (rewrite !== undefined) {
    upstreamPath = (_path, match) => rewrite.render(match.params, match.rest);
    publicPath = inverseOfRewrite(rewrite, compiledPattern);
  } else if (strip !== undefined) {
    const length = strip.length;
    upstreamPath = (path) => (path.length === length ? '/' : path.slice(length));
    publicPath = (path) => (path === '/' ? strip : strip + path);
  } else {
    upstreamPath = (path) => path;
    publicPath = (path) => path;
  }
  const candidate = publicPath;
  const servedPublicPath = (path: string): string | undefined => {
    const found = candidate(path);
    return found !== undefined && compiledPattern.match(openApiToRaw(found)) !== undefined ? found : undefined;
  };
  return {
    kind: 'proxy',
    name,
    policy: routePolicy(name, spec, spec.timeoutMs ?? defaultTimeoutMs),
    pattern: compiledPattern,
    methods: spec.methods === undefined ? undefined : new Set(spec.methods),
    upstream: spec.upstream,
    timeoutMs: spec.timeoutMs ?? defaultTimeoutMs,
    bodyLimitBytes: spec.bodyLimitBytes ?? defaults.bodyLimitBytes,
    upstreamPath,
    // Only paths this route would actually serve.
    publicPath: servedPublicPath,
    publicLocation: (location) => {
      if (!location.startsWith('/') || location.startsWith('//')) return location; // absolute URLs are the upstream's business
      const query = location.search(/[?#]/);
      const path = query === -1 ? location : location.slice(0, query);
      const mapped = servedPublicPath(path);
      return mapped === undefined ? location : mapped + (query === -1 ? '' : location.slice(query));
    },
  };
}

/** The inverse of a prefix-style rewrite (`/v2/users{**}`); other rewrites are not documented. */
function inverseOfRewrite(rewrite: CompiledTemplate, compiledPattern: CompiledPattern): ProxyRoute['publicPath'] {
  const prefix = rewrite.source.endsWith('{**}') ? rewrite.source.slice(0, -'{**}'.length) : undefined;
  if (
    prefix === undefined ||
    rewrite.names.length > 0 ||
    !compiledPattern.hasRest ||
    compiledPattern.paramNames.length > 0 ||
    compiledPattern.segmentCount !== compiledPattern.literalCount
  )
    return () => undefined;
  const publicPrefix = compiledPattern.literalPrefix;
  return (path) => {
    if (path === prefix) return publicPrefix || '/';
    if (!path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) return undefined;
    return publicPrefix + path.slice(prefix.endsWith('/') ? prefix.length - 1 : prefix.length);
  };
}

/** OpenAPI writes `{id}`; a pattern sees one segment either way. */
function openApiToRaw(path: string): string {
  return path.replace(/\{[^}/]+\}/g, 'x');
}

function compileAggregation(
  spec: AggregationSettings,
  key: string,
  upstreams: Record<string, readonly string[]>,
  defaultTimeoutMs: number,
  problems: ConfigProblem[],
): AggregationRoute | undefined {
  const compiledPattern = pattern(spec.path, `${key}.path`, problems);
  const parts: AggregationPart[] = [];
  for (const [partName, part] of Object.entries(spec.parts)) {
    const partKey = `${key}.parts.${partName}`;
    checkUpstream(part.upstream, `${partKey}.upstream`, upstreams, problems);
    const compiledTemplate = template(part.path, `${partKey}.path`, problems);
    if (compiledTemplate === undefined || compiledPattern === undefined) continue;
    checkPlaceholders(compiledTemplate, compiledPattern, `${partKey}.path`, problems);
    parts.push({
      name: partName,
      upstream: part.upstream,
      template: compiledTemplate,
      required: part.required ?? false,
      timeoutMs: part.timeoutMs ?? spec.timeoutMs ?? defaultTimeoutMs,
    });
  }
  if (compiledPattern === undefined) return undefined;
  return {
    kind: 'aggregation',
    name: spec.name,
    policy: routePolicy(spec.name, spec),
    pattern: compiledPattern,
    parts,
  };
}

function routePolicy(
  name: string,
  spec: { auth?: RoutePolicy['auth']; rateLimit?: string | false; priority?: RoutePolicy['priority'] },
  timeoutMs?: number,
): RoutePolicy {
  return { name, auth: spec.auth, rateLimit: spec.rateLimit, priority: spec.priority ?? 'low', timeoutMs };
}
