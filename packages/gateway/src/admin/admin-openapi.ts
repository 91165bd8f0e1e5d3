/**
 * The gateway's own admin API in its `/openapi.json`, beside the routed
 * services: the operations of the `/admin` scope tagged `admin` (TypeBox
 * schemas, as the kit documents every route, with the problems each can
 * answer), and the components they use, added to the merged document.
 * The kit's own admin routes (`/admin/config`, `/admin/anomalies`,
 * `/admin/log-level`) stay hidden, as in every service.
 */
import type { OpenApiDocument } from '../openapi/merge.ts';

export const ADMIN_TAG = 'admin';

const ADMIN_TAG_DESCRIPTION =
  'The console and the CLI: sessions, the config centre, log levels, governance. Every operation needs an admin credential ' +
  '(`Authorization: Bearer <JWT>` or `x-api-key`, with one of `admin.roles`) or the console session cookie; with the cookie, ' +
  'every request other than GET and HEAD carries `x-csrf-token`.';

interface SwaggerScope {
  swagger(): unknown;
}

/** The admin scope of each gateway, whose routes `@fastify/swagger` documents. */
const scopes = new WeakMap<object, SwaggerScope>();

export function rememberAdminScope(owner: object, scope: object): void {
  scopes.set(owner, scope as SwaggerScope);
}

/** `document` plus the admin operations of `owner`'s gateway; `document` itself is left unchanged (it is cached). */
export function withAdminOperations(document: OpenApiDocument, owner: object): OpenApiDocument {
  const scope = scopes.get(owner);
  if (scope === undefined) return document;
  const own = scope.swagger() as OpenApiDocument;
  const paths: Record<string, Record<string, unknown>> = { ...(document.paths ?? {}) };
  for (const [path, item] of Object.entries(own.paths ?? {})) {
    const operations = Object.entries(item).filter(([, operation]) => isAdminOperation(operation));
    if (operations.length > 0) paths[path] = { ...(paths[path] ?? {}), ...Object.fromEntries(operations) };
  }
  const components: Record<string, Record<string, unknown>> = { ...(document.components ?? {}) };
  for (const [kind, entries] of Object.entries(own.components ?? {})) {
    if (entries === null || typeof entries !== 'object' || Object.keys(entries).length === 0) continue;
    components[kind] = { ...entries, ...(components[kind] ?? {}) };
  }
  const tags = Array.isArray(document.tags) ? (document.tags as Array<{ name?: unknown }>) : [];
  return {
    ...document,
    paths,
    components,
    tags: [...tags.filter((tag) => tag.name !== ADMIN_TAG), { name: ADMIN_TAG, description: ADMIN_TAG_DESCRIPTION }],
  };
}

function isAdminOperation(operation: unknown): boolean {
  const tags = (operation as { tags?: unknown } | null)?.tags;
  return Array.isArray(tags) && tags.includes(ADMIN_TAG);
}
