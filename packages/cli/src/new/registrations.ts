/**
 * The lists outside a service's own folder that name every service, and how
 * a new one is added to each. Each edit is a pure text change that keeps the
 * file's layout and comments: it returns the new text, or `undefined` when
 * the file no longer has the shape it expects (the caller then says what to
 * add by hand). Nothing here reads or writes files.
 */
import type { ServiceNames } from './names.ts';

/** Root tsconfig.json: a project reference, so `tsc -b` builds the service. */
export function addProjectReference(text: string, path: string): string | undefined {
  const tsconfig = JSON.parse(text) as { references?: Array<{ path: string }> };
  if (!Array.isArray(tsconfig.references)) return undefined;
  if (tsconfig.references.some((r) => r.path === path)) return text;
  tsconfig.references.push({ path });
  return `${JSON.stringify(tsconfig, null, 2)}\n`;
}

/** .dependency-cruiser.cjs: the service joins the layer of the other services in `packageLayers`. */
export function addToServiceLayer(text: string, name: string, services: string[]): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /\bpackageLayers\s*=\s*\[/.test(line));
  if (start < 0) return undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*\];/.test(line)) break;
    const layer = /^(\s*\[)(.*)(\],?\s*)$/.exec(line);
    if (layer === null) continue;
    const members = [...(layer[2] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
    if (members.includes(name)) return text;
    if (!members.some((member) => member !== undefined && services.includes(member))) continue;
    lines[i] = `${layer[1]}${layer[2]}, '${name}'${layer[3]}`;
    return lines.join('\n');
  }
  return undefined;
}

/** scripts/bundle.mjs: `entries`, the folders whose dist/main.js is bundled. */
export function addBundleEntry(text: string, folder: string): string | undefined {
  const entries = /(const entries = \[)([^\]]*)(\])/.exec(text);
  if (entries === null) return undefined;
  const list = entries[2] ?? '';
  if (list.includes(`'${folder}'`)) return text;
  const services = [...list.matchAll(/'services\/[^']+'/g)];
  const last = services[services.length - 1];
  const at = last === undefined ? list.length : (last.index ?? 0) + last[0].length;
  const updated = last === undefined ? `${list}, '${folder}'` : `${list.slice(0, at)}, '${folder}'${list.slice(at)}`;
  return text.slice(0, entries.index) + entries[1] + updated + entries[3] + text.slice(entries.index + entries[0].length);
}

/** scripts/images/images.ts: an ImageSpec after the last service's, in the same layout. */
export function addImage(text: string, names: ServiceNames, ports: number[], grpc: boolean): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^export const IMAGES\b.*=\s*\[\s*$/.test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && /^\];\s*$/.test(line));
  if (end < 0) return undefined;
  const body = lines.slice(start + 1, end);
  if (body.some((line) => line.includes(`bundle: 'services/${names.name}/dist/bundle.mjs'`))) return text;
  const lastService = body.findLastIndex((line) => /^\s*bundle: 'services\//.test(line));
  let insertAt = end;
  if (lastService >= 0) {
    const close = body.findIndex((line, i) => i > lastService && /^ {2}\},\s*$/.test(line));
    if (close < 0) return undefined;
    insertAt = start + 1 + close + 1;
  }
  const entry = [
    '  {',
    `    name: 'flotilla/${names.name}',`,
    `    short: '${names.name}',`,
    `    bundle: 'services/${names.name}/dist/bundle.mjs',`,
    `    configService: '${names.name}',`,
    `    ports: [${ports.join(', ')}],`,
    `    description: 'Flotilla ${names.name} service (${grpc ? 'REST + gRPC' : 'REST'})',`,
    '  },',
  ];
  lines.splice(insertAt, 0, ...entry);
  return lines.join('\n');
}

/** A kustomization.yaml's `resources:` list. */
export function addKustomizeResource(text: string, file: string): string | undefined {
  const lines = text.split('\n');
  const block = blockOf(lines, 'resources');
  if (block === undefined) return undefined;
  if (lines.slice(block.start + 1, block.end + 1).some((line) => line.trim() === `- ${file}`)) return text;
  const indent = /^(\s*)-/.exec(lines[block.end] ?? '')?.[1] ?? '  ';
  lines.splice(block.end + 1, 0, `${indent}- ${file}`);
  return lines.join('\n');
}

/** Whether a gateway config already knows `name` as an upstream or routes `/api/<name>/`. */
export function gatewayMentions(text: string, name: string): boolean {
  const lines = text.split('\n');
  const upstreams = blockOf(lines, 'upstreams');
  const upstreamNamed = new RegExp(`^\\s+${name}:`);
  if (upstreams !== undefined && lines.slice(upstreams.start + 1, upstreams.end + 1).some((line) => upstreamNamed.test(line))) return true;
  return text.includes(`/api/${name}/`) || new RegExp(`\\bname: ${name}\\s*[,}]`).test(text);
}

/**
 * A gateway config (config/<ns>/gateway.yaml): the upstream, found through
 * discovery like the others, and a route `/api/<name>/**` with `/api` stripped.
 */
export function addGatewayRoute(text: string, name: string): string | undefined {
  const lines = text.split('\n');
  const upstreams = blockOf(lines, 'upstreams');
  const routes = blockOf(lines, 'routes');
  if (upstreams === undefined || routes === undefined) return undefined;
  const upstreamIndent = /^(\s*)/.exec(lines[upstreams.end] ?? '')?.[1] || '  ';
  const routeIndent = /^(\s*)-/.exec(lines[routes.end] ?? '')?.[1] ?? '  ';
  const route = `${routeIndent}- { name: ${name}, path: /api/${name}/**, upstream: ${name}, stripPrefix: /api }`;
  // Insert the later block first so the earlier one's line numbers stay valid.
  const edits = [
    { after: upstreams.end, line: `${upstreamIndent}${name}: {}` },
    { after: routes.end, line: route },
  ].sort((a, b) => b.after - a.after);
  for (const edit of edits) lines.splice(edit.after + 1, 0, edit.line);
  return lines.join('\n');
}

/** packages/contracts/src/index.ts: one namespace per contract package. */
export function addContractsNamespace(text: string, names: ServiceNames): string | undefined {
  const line = `export * as ${names.camel} from './${names.name}.ts';`;
  if (text.includes(line)) return text;
  const lines = text.split('\n');
  const last = lines.findLastIndex((l) => /^export \* as \w+ from '\.\/[^']+';$/.test(l));
  if (last < 0) return undefined;
  lines.splice(last + 1, 0, line);
  return lines.join('\n');
}

/**
 * A top-level YAML key followed by an indented block (`key:` alone on its
 * line): the key's line and the last non-blank line of its block.
 */
function blockOf(lines: string[], key: string): { start: number; end: number } | undefined {
  const start = lines.findIndex((line) => new RegExp(`^${key}:\\s*(#.*)?$`).test(line));
  if (start < 0) return undefined;
  let end = start;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || /^\s*#/.test(line)) continue;
    if (!/^\s/.test(line)) break;
    end = i;
  }
  return end === start ? undefined : { start, end };
}
