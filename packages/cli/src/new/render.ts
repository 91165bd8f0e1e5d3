/**
 * Turns a template file into the file a new service gets. Templates are real
 * files (TypeScript that biome checks in place, YAML, Markdown, proto) with
 *
 *  - placeholders: `$name$`, `$Name$`, `$nameCamel$`, `$NAME$`, `$name_proto$`,
 *    `$httpPort$`, `$grpcPort$` (in file contents and paths);
 *  - blocks kept only when a feature is on (or off, with `!`): a line
 *    `// #if grpc` (`# #if grpc` in YAML, `<!-- #if grpc -->` in Markdown) up to
 *    a line `// #endif`;
 *  - single lines kept only when a feature is on: `GrpcConfig, // #if grpc`;
 *  - spans inside a line: `<!-- #if grpc -->and gRPC<!-- #endif -->`.
 *
 * A file that renders to nothing is not written (a whole file inside `#if grpc`).
 */
import type { ServiceNames } from './names.ts';

export type Feature = 'database' | 'grpc';

export interface TemplateValues {
  names: ServiceNames;
  features: Record<Feature, boolean>;
  ports: { http: number; grpc: number };
}

const BLOCK = /^\s*(?:\/\/|#|<!--)\s*#(if|endif)\b\s*(!?)([a-z]*)\s*(?:-->)?\s*$/;
const LINE = /\s*(?:\/\/|#)\s*#if\s+(!?)([a-z]+)\s*$/;
const SPAN = /<!-- #if (!?)([a-z]+) -->(.*?)<!-- #endif -->/g;
const PLACEHOLDER = /\$(name|Name|nameCamel|NAME|name_proto|httpPort|grpcPort)\$/g;
const LEFTOVER = /\$[A-Za-z_]+\$/;

export function renderTemplate(text: string, values: TemplateValues, source = 'template'): string {
  const kept: string[] = [];
  const open: boolean[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const where = `${source}:${index + 1}`;
    const block = BLOCK.exec(line);
    if (block !== null) {
      if (block[1] === 'if') open.push(holds(values, block[2] === '!', block[3] ?? '', where));
      else if (open.pop() === undefined) throw new Error(`${where}: #endif without #if`);
      continue;
    }
    if (open.includes(false)) continue;
    let out = line.replace(SPAN, (_span, not: string, feature: string, inner: string) =>
      holds(values, not === '!', feature, where) ? inner : '',
    );
    if (out.includes('<!-- #if') || out.includes('<!-- #endif')) throw new Error(`${where}: a <!-- #if --> span must end on its own line`);
    const only = LINE.exec(out);
    if (only !== null) {
      if (!holds(values, only[1] === '!', only[2] ?? '', where)) continue;
      out = out.slice(0, only.index);
    }
    kept.push(substitute(out, values));
  }
  if (open.length > 0) throw new Error(`${source}: #if without #endif`);
  const rendered = kept.join('\n');
  const leftover = LEFTOVER.exec(rendered);
  if (leftover !== null) throw new Error(`${source}: unknown placeholder ${leftover[0]}`);
  return rendered.trim() === '' ? '' : rendered;
}

/** `services/$name$/test/unit/domain.test.template.ts` → `services/stock-levels/test/unit/domain.test.ts`. */
export function renderPath(path: string, values: TemplateValues): string {
  return substitute(path, values).replace(/\.template(\.[a-z]+)$/, '$1');
}

function substitute(text: string, { names, ports }: TemplateValues): string {
  const value: Record<string, string> = {
    name: names.name,
    Name: names.pascal,
    nameCamel: names.camel,
    NAME: names.env,
    name_proto: names.proto,
    httpPort: String(ports.http),
    grpcPort: String(ports.grpc),
  };
  return text.replace(PLACEHOLDER, (_token, key: string) => value[key] as string);
}

function holds(values: TemplateValues, negated: boolean, feature: string, where: string): boolean {
  if (feature !== 'database' && feature !== 'grpc') throw new Error(`${where}: unknown feature "${feature}" in #if`);
  return values.features[feature] !== negated;
}
