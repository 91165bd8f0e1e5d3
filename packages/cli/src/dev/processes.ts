/** What `flotilla dev` runs: one entry per process, in start order. */
export interface ProcessSpec {
  /** The service's name: its config file (config/<ns>/<name>.yaml) and env prefix (FLOTILLA_<NAME>__…). */
  name: string;
  /** The package folder, relative to the repository root. */
  dir: string;
  /** Serves gRPC too (a `grpc` config section, default port 9090). */
  grpc: boolean;
}

export const DEV_PROCESSES: ProcessSpec[] = [
  { name: 'greeter', dir: 'services/greeter', grpc: true },
  { name: 'users', dir: 'services/users', grpc: true },
  { name: 'orders', dir: 'services/orders', grpc: true },
  { name: 'gateway', dir: 'packages/gateway', grpc: false },
];

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
