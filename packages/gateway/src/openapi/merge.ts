/**
 * The public API document: each upstream's OpenAPI paths re-keyed by the
 * public path a route serves them under (only operations the gateway really
 * routes there), components namespaced per upstream (`users.User`) with
 * their `$ref`s rewritten, plus one operation per aggregation built from
 * its parts' response schemas.
 */
import { CONNECTION_LEVEL_ANSWERS } from '@flotilla/http';
import { problemResponse } from '@flotilla/http';
import type { RoutePolicy } from '@flotilla/pipeline';
import type { AggregationRoute, ProxyRoute, RouteTable } from '../routes/table.ts';

export type OpenApiDocument = Record<string, unknown> & {
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
};

export interface MergeInput {
  title: string;
  version: string;
  table: RouteTable;
  /** Upstream name → its document (only the ones that answered). */
  documents: ReadonlyMap<string, OpenApiDocument>;
  /** Upstreams routed to whose document could not be fetched. */
  unavailable: readonly string[];
}

const OPERATION_KEYS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export const UNAVAILABLE_EXTENSION = 'x-flotilla-unavailable-upstreams';

export function mergeOpenApi(input: MergeInput): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, Record<string, unknown>> = {};

  for (const [upstream, document] of input.documents) {
    const refs = refRewriter(upstream);
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      if (entries === null || typeof entries !== 'object') continue;
      for (const [name, value] of Object.entries(entries)) {
        let group = components[kind];
        if (group === undefined) {
          group = {};
          components[kind] = group;
        }
        group[`${upstream}.${name}`] = refs(value);
      }
    }
    const routes = input.table.routes.filter((r): r is ProxyRoute => r.kind === 'proxy' && r.upstream === upstream);
    for (const [upstreamPath, item] of Object.entries(document.paths ?? {})) {
      for (const method of OPERATION_KEYS) {
        const operation = (item as Record<string, unknown>)[method];
        if (operation === undefined) continue;
        const served = servedAt(input.table, routes, method.toUpperCase(), upstreamPath);
        if (served === undefined) continue;
        const { publicPath, route } = served;
        let target = paths[publicPath];
        if (target === undefined) {
          target = {};
          paths[publicPath] = target;
        }
        for (const shared of ['parameters', 'summary', 'description'] as const) {
          const value = (item as Record<string, unknown>)[shared];
          if (value !== undefined && target[shared] === undefined) target[shared] = refs(value);
        }
        target[method] = publicOperation(refs(operation) as Record<string, unknown>, upstream, route.policy);
      }
    }
  }

  for (const route of input.table.routes) {
    if (route.kind === 'aggregation') paths[toOpenApiPath(route.pattern.source)] = { get: aggregationOperation(route, input.documents) };
  }
  withoutDanglingLinks(paths);

  return {
    openapi: '3.1.0',
    info: {
      title: input.title,
      version: input.version,
      description: `The public API as routed by the Flotilla gateway: each service under its public prefix, plus aggregations.\n\n${CONNECTION_LEVEL_ANSWERS}\n- **413** \`payload-too-large\`: a declared body over the route's limit, answered by the gateway itself.`,
    },
    paths,
    components,
    ...(input.unavailable.length > 0 ? { [UNAVAILABLE_EXTENSION]: [...input.unavailable] } : {}),
  };
}

/** The public path under which the gateway serves `method upstreamPath`, and the route that does, if any. */
function servedAt(
  table: RouteTable,
  routes: readonly ProxyRoute[],
  method: string,
  upstreamPath: string,
): { publicPath: string; route: ProxyRoute } | undefined {
  for (const route of routes) {
    if (route.methods !== undefined && !route.methods.has(method)) continue;
    const publicPath = route.publicPath(upstreamPath);
    if (publicPath === undefined) continue;
    // Another route or an aggregation may win for this public path.
    const found = table.lookup(method, publicPath.replace(/\{[^}/]+\}/g, 'x'));
    if (found.found === 'route' && found.route === route) return { publicPath, route };
  }
  return undefined;
}

function publicOperation(operation: Record<string, unknown>, upstream: string, policy: RoutePolicy): Record<string, unknown> {
  const result: Record<string, unknown> = { ...operation };
  if (typeof operation.operationId === 'string') result.operationId = `${upstream}.${operation.operationId}`;
  if (!Array.isArray(operation.tags) || operation.tags.length === 0) result.tags = [upstream];
  result.responses = withGatewayProblems(namespacedLinks((operation.responses ?? {}) as Record<string, unknown>, upstream), policy);
  return result;
}

type Links = Record<string, { operationId?: string }>;

/** Links name operations by id, and ids are namespaced per upstream in the merged document. */
function namespacedLinks(responses: Record<string, unknown>, upstream: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(responses)) {
    const links = (response as { links?: Links }).links;
    if (links === undefined) {
      result[status] = response;
      continue;
    }
    const renamed: Links = {};
    for (const [name, link] of Object.entries(links))
      renamed[name] = link.operationId === undefined ? link : { ...link, operationId: `${upstream}.${link.operationId}` };
    result[status] = { ...(response as object), links: renamed };
  }
  return result;
}

/** Links to operations the gateway does not route are dropped: a client could not follow them. */
function withoutDanglingLinks(paths: Record<string, Record<string, unknown>>): void {
  const ids = new Set<string>();
  for (const item of Object.values(paths))
    for (const operation of Object.values(item)) {
      const id = (operation as { operationId?: unknown } | undefined)?.operationId;
      if (typeof id === 'string') ids.add(id);
    }
  for (const item of Object.values(paths))
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { links?: Links }> } | undefined)?.responses;
      for (const response of Object.values(responses ?? {})) {
        if (response.links === undefined) continue;
        for (const [name, link] of Object.entries(response.links))
          if (link.operationId !== undefined && !ids.has(link.operationId)) delete response.links[name];
        if (Object.keys(response.links).length === 0) delete response.links;
      }
    }
}

/** What the gateway itself can answer on a route, besides what the upstream documents. */
const GATEWAY_PROBLEMS: Record<number, string> = {
  502: 'The upstream failed, could not be reached, or has no instance',
  503: 'The gateway is overloaded or draining, or the upstream circuit is open',
  504: 'The deadline passed before the upstream answered',
};

function withGatewayProblems(responses: Record<string, unknown>, policy: RoutePolicy): Record<string, unknown> {
  const statuses: Record<number, string | undefined> = { ...GATEWAY_PROBLEMS };
  if (policy.rateLimit !== false) statuses[429] = undefined;
  if (policy.auth !== undefined) {
    statuses[401] = undefined;
    if ((policy.auth.roles?.length ?? 0) > 0) statuses[403] = undefined;
  }
  const result = { ...responses };
  for (const [status, description] of Object.entries(statuses)) {
    if (result[status] === undefined) result[status] = problemResponse(Number(status), description);
  }
  return result;
}

/** Deep copy with `#/components/<kind>/<name>` refs pointing at the namespaced names. */
function refRewriter(upstream: string): (value: unknown) => unknown {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] =
        key === '$ref' && typeof child === 'string'
          ? child.replace(/^#\/components\/([^/]+)\/(.+)$/, `#/components/$1/${upstream}.$2`)
          : rewrite(child);
    }
    return out;
  };
  return rewrite;
}

function toOpenApiPath(pattern: string): string {
  return pattern
    .replace(/\/:([A-Za-z_][A-Za-z0-9_]*)/g, '/{$1}')
    .replace(/\/\*\*$/, '/{rest}')
    .replace(/\/\*(?=\/|$)/g, '/{segment}');
}

function aggregationOperation(route: AggregationRoute, documents: ReadonlyMap<string, OpenApiDocument>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const optional: string[] = [];
  for (const part of route.parts) {
    properties[part.name] = partSchema(part.upstream, part.template.source, documents) ?? {};
    (part.required ? required : optional).push(part.name);
  }
  if (optional.length > 0)
    properties.partial = {
      type: 'array',
      items: { enum: optional },
      description: 'Optional parts that failed or timed out; absent when the answer is complete',
    };
  const first = route.parts.find((p) => p.required) ?? route.parts[0];
  const firstOperation = first === undefined ? undefined : partOperation(first.upstream, first.template.source, documents);
  // A required part's client error (bad id, missing user, …) is the aggregation's answer, as the part documents it.
  const passedThrough: Record<string, unknown> = {};
  for (const part of route.parts.filter((p) => p.required)) {
    const responses = partOperation(part.upstream, part.template.source, documents)?.responses ?? {};
    for (const [status, response] of Object.entries(responses)) {
      if (/^4\d\d$/.test(status) && passedThrough[status] === undefined) passedThrough[status] = refRewriter(part.upstream)(response);
    }
  }
  return {
    operationId: `gateway.${route.name}`,
    tags: ['aggregations'],
    summary: `Aggregation ${route.name}: ${route.parts.map((p) => `${p.name} (${p.upstream}${p.required ? ', required' : ''})`).join(', ')}, called in parallel`,
    parameters: route.pattern.paramNames.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: pathParameterSchema(firstOperation, name) ?? { type: 'string' },
    })),
    responses: {
      '200': {
        description:
          'Every required part answered. When an optional part did not, `partial` names it and the `x-flotilla-partial` header is set.',
        headers:
          optional.length > 0
            ? {
                'x-flotilla-partial': {
                  schema: { type: 'string' },
                  description: 'comma-separated names of missing optional parts',
                },
              }
            : {},
        content: { 'application/json': { schema: { type: 'object', properties, required } } },
      },
      ...passedThrough,
      ...withGatewayProblems(
        {
          '502': problemResponse(502, 'A required part failed, answered something invalid, or has no instance'),
          '504': problemResponse(504, 'A required part did not answer in time'),
        },
        route.policy,
      ),
    },
  };
}

type Operation = {
  parameters?: Array<{ name?: string; in?: string; schema?: unknown }>;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

/** The GET operation of `upstream` that a part's template calls. */
function partOperation(upstream: string, template: string, documents: ReadonlyMap<string, OpenApiDocument>): Operation | undefined {
  const document = documents.get(upstream);
  if (document === undefined) return undefined;
  const shape = (path: string): string => path.replace(/\{[^}]*\}/g, '{}');
  const wanted = shape(template.split('?')[0] as string);
  const entry = Object.entries(document.paths ?? {}).find(([path]) => shape(path) === wanted);
  const item = entry?.[1] as { get?: Operation; parameters?: Operation['parameters'] } | undefined;
  if (item?.get === undefined) return undefined;
  // Parameters may sit on the path item, the operation, or both (the operation's win, so they come last).
  return { ...item.get, parameters: [...(item.parameters ?? []), ...(item.get.parameters ?? [])] };
}

/** The schema the part's operation gives a path parameter of the same name: the aggregation accepts what its part does. */
function pathParameterSchema(operation: Operation | undefined, name: string): unknown {
  return operation?.parameters?.findLast((p) => p.in === 'path' && p.name === name)?.schema;
}

/** The 200 JSON schema of the upstream operation a part calls, with refs namespaced. */
function partSchema(upstream: string, template: string, documents: ReadonlyMap<string, OpenApiDocument>): unknown {
  const schema = partOperation(upstream, template, documents)?.responses?.['200']?.content?.['application/json']?.schema;
  return schema === undefined ? undefined : refRewriter(upstream)(schema);
}
