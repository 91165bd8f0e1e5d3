/**
 * The services `flotilla dev` runs: every `services/<name>/package.json`
 * with a `"flotilla": { "dev": { … } }` block (what `flotilla new service`
 * writes), named after its folder. A package without the block is not run;
 * a block that is not what this reads is a usage error naming the file, so a
 * typo never silently drops a listener.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../exit-codes.ts';
import { serviceNames } from '../new/names.ts';

/** What a `flotilla.dev` block may say. */
export interface DevBlock {
  /** The service serves gRPC too (a `grpc` config section). Default false. */
  grpc: boolean;
}

export interface DevService extends DevBlock {
  /** The folder's name: its config document and env prefix. */
  name: string;
  /** `services/<name>`, relative to the repository root. */
  dir: string;
}

const SERVICES = 'services';
const KNOWN_KEYS = new Set(['grpc']);
/** Names of processes the supervisor runs or prints as itself. */
const TAKEN_NAMES = new Set(['gateway', 'flotilla']);

/** Every service to run, by folder name; throws a UsageError listing every malformed manifest. */
export function discoverServices(root: string): DevService[] {
  const dir = join(root, SERVICES);
  if (!existsSync(dir)) return [];
  const found: DevService[] = [];
  const problems: string[] = [];
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const name of folders) {
    const path = `${SERVICES}/${name}/package.json`;
    if (!existsSync(join(root, path))) continue;
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(join(root, path), 'utf8'));
    } catch (error) {
      problems.push(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const read = readDevBlock(manifest);
    if (read === undefined) continue;
    if ('problems' in read) {
      problems.push(...read.problems.map((p) => `${path}: ${p}`));
      continue;
    }
    const nameProblem = folderNameProblem(name);
    if (nameProblem !== undefined) {
      problems.push(`${path}: ${nameProblem}`);
      continue;
    }
    found.push({ name, dir: `${SERVICES}/${name}`, ...read.block });
  }
  if (problems.length > 0) {
    throw new UsageError(
      [
        'cannot start, a service manifest has a malformed "flotilla" block:',
        ...problems.map((p) => `  ${p}`),
        'The block is { "flotilla": { "dev": { "grpc": true } } } ("grpc": false for REST only); remove it to leave the service out of flotilla dev.',
      ].join('\n'),
    );
  }
  return found;
}

/**
 * The `flotilla.dev` block of a parsed package.json: undefined when it has
 * none (not a process for `flotilla dev`), otherwise the block or what is
 * wrong with it.
 */
export function readDevBlock(manifest: unknown): { block: DevBlock } | { problems: string[] } | undefined {
  if (!isObject(manifest) || !('flotilla' in manifest)) return undefined;
  const flotilla = manifest.flotilla;
  if (!isObject(flotilla)) return { problems: [`"flotilla" must be an object, not ${shown(flotilla)}`] };
  if (!('dev' in flotilla)) return undefined;
  const dev = flotilla.dev;
  if (!isObject(dev)) return { problems: [`"flotilla.dev" must be an object like { "grpc": true }, not ${shown(dev)}`] };
  const problems: string[] = [];
  for (const key of Object.keys(dev)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`"flotilla.dev.${key}" is not a setting (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  const grpc = 'grpc' in dev ? dev.grpc : false;
  if (typeof grpc !== 'boolean') problems.push(`"flotilla.dev.grpc" must be true or false, not ${shown(grpc)}`);
  return problems.length > 0 ? { problems } : { block: { grpc: grpc === true } };
}

/** The folder is the service's name: the rules of `flotilla new service`, and none of the supervisor's own names. */
function folderNameProblem(name: string): string | undefined {
  if (TAKEN_NAMES.has(name)) return `the folder name "${name}" is taken by flotilla dev itself; rename the service`;
  try {
    serviceNames(name);
  } catch (error) {
    if (error instanceof UsageError) return `the folder name is the service's name: ${error.message}`;
    throw error;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}
