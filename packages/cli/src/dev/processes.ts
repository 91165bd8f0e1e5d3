/** What `flotilla dev` runs: one entry per process, in start order. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../exit-codes.ts';
import { discoverServices } from './service-manifests.ts';

export interface ProcessSpec {
  /** The service's name: its config file (config/<ns>/<name>.yaml) and env prefix (FLOTILLA_<NAME>__…). */
  name: string;
  /** The package folder, relative to the repository root. */
  dir: string;
  /** Serves gRPC too (a `grpc` config section, default port 9090). */
  grpc: boolean;
}

/** The public entry: started after the services it routes to, and not a `services/` package. */
export const GATEWAY: ProcessSpec = { name: 'gateway', dir: 'packages/gateway', grpc: false };

/** Every service of `services/*` whose package.json has a `flotilla.dev` block, by name, then the gateway. */
export function devProcesses(root: string): ProcessSpec[] {
  const services = discoverServices(root).map(({ name, dir, grpc }) => ({ name, dir, grpc }));
  return [...services, GATEWAY];
}

const SOURCE_CONDITION = '--conditions=@flotilla/source';
const SHORT_FORMS = new Set(['-C', '--conditions']);

/**
 * Node arguments that start a process: the bundle (scripts/bundle.mjs) when
 * this CLI runs compiled, the TypeScript source when it runs from source
 * itself (as the tests run it), so one run never mixes the two.
 */
export function entryArguments(spec: ProcessSpec, execArgv: string[] = process.execArgv): string[] {
  const fromSource = execArgv.some(
    (arg, i) => arg === SOURCE_CONDITION || (SHORT_FORMS.has(arg) && execArgv[i + 1] === '@flotilla/source'),
  );
  if (fromSource) return [SOURCE_CONDITION, `${spec.dir}/src/main.ts`];
  return ['--enable-source-maps', `${spec.dir}/dist/bundle.mjs`];
}

/**
 * Before anything starts: each process's entry file is there. A service
 * scaffolded since the last build has no bundle yet; without this its
 * process would only crash and be restarted, again and again.
 */
export function checkEntries(root: string, specs: ProcessSpec[], execArgv: string[] = process.execArgv): void {
  const missing = specs.map((spec) => entryArguments(spec, execArgv).at(-1) as string).filter((file) => !existsSync(join(root, file)));
  if (missing.length === 0) return;
  const bundles = missing.some((file) => file.endsWith('/dist/bundle.mjs'));
  throw new UsageError(
    [
      `cannot start, ${missing.length === 1 ? 'an entry file is' : 'entry files are'} missing:`,
      ...missing.map((file) => `  ${file}`),
      bundles ? 'Build first: npm run build (npm start builds, then runs flotilla dev).' : 'Each service needs src/main.ts.',
    ].join('\n'),
  );
}
