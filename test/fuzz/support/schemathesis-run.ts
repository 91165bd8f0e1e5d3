/**
 * One `st run` against one server's `/openapi.json`, with the stage's fixed
 * options, its reports written to a folder of its own and read back.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FailedCase, readJunitFailures } from './junit.ts';

const HOOKS = join(import.meta.dirname, '..', 'hooks.py');
const CONFIG = join(import.meta.dirname, '..', 'schemathesis.toml');

/** The stage's options: all checks and phases, one seed, a bounded number of examples, one worker (reproducible order). */
export const FUZZ_OPTIONS = {
  seed: 20_240_601,
  maxExamples: 50,
  phases: 'examples,coverage,fuzzing,stateful',
  requestTimeoutSeconds: 10,
} as const;

export interface FuzzTarget {
  /** Names the run in messages and its report folder, e.g. "sqlite/users". */
  name: string;
  /** http://127.0.0.1:PORT (the document is at /openapi.json). */
  url: string;
}

export interface FuzzRun {
  target: FuzzTarget;
  /** The `st run` arguments, as run. */
  args: string[];
  exitCode: number | null;
  failures: FailedCase[];
  /** Test cases Schemathesis generated (its JSON report). */
  generated: number;
  /** Failures the hooks dropped (test/fuzz/hooks.py), as Schemathesis counts them. */
  filtered: number;
  /** The same failures as hooks.py recorded them. */
  dropped: DroppedFailure[];
  /** The "API Links: …" line of the stateful phase, e.g. "8 covered / 8 selected / 8 total (8 inferred)". */
  links: string | undefined;
  /** Schemathesis errors (schema or network problems), from its JSON report. */
  errors: string[];
  /** What `st` printed. */
  output: string;
  reportDir: string;
}

/** A positive_data_acceptance failure hooks.py dropped: Schemathesis's case said a component was negative. */
export interface DroppedFailure {
  operation: string;
  status: number;
  /** The request parts the case recorded as schema-violating, e.g. ["header"]. */
  negative: string[];
  curl: string;
}

interface JsonReport {
  test_cases?: { generated?: number };
  filtered?: number;
  errors?: unknown[];
}

function onlyFile(dir: string, prefix: string): string {
  const name = readdirSync(dir).find((file) => file.startsWith(prefix));
  if (name === undefined) throw new Error(`no ${prefix}* report in ${dir}`);
  return join(dir, name);
}

/**
 * Runs Schemathesis against `target` with `headers` on every request. Its
 * working folder is `workDir` (a temporary one), so nothing lands in the
 * repository; the process is killed if the test ends first.
 */
export async function runSchemathesis(
  st: string,
  target: FuzzTarget,
  headers: Record<string, string>,
  workDir: string,
  signal?: AbortSignal,
): Promise<FuzzRun> {
  const reportDir = join(workDir, target.name.replaceAll('/', '-'));
  mkdirSync(reportDir, { recursive: true });
  const droppedLog = join(reportDir, 'dropped.ndjson');
  const args = [
    '--config-file',
    CONFIG,
    'run',
    `${target.url}/openapi.json`,
    '--checks',
    'all',
    '--phases',
    FUZZ_OPTIONS.phases,
    '--seed',
    String(FUZZ_OPTIONS.seed),
    '--max-examples',
    String(FUZZ_OPTIONS.maxExamples),
    '--workers',
    '1',
    '--request-timeout',
    String(FUZZ_OPTIONS.requestTimeoutSeconds),
    '--generation-database',
    'none',
    '--report',
    'junit,json',
    '--report-dir',
    reportDir,
    '--output-sanitize',
    'false',
    '--no-color',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
  ];
  const child = spawn(st, args, {
    cwd: workDir,
    env: {
      PATH: process.env.PATH,
      HOME: workDir,
      SCHEMATHESIS_HOOKS: HOOKS,
      FLOTILLA_FUZZ_DROPPED: droppedLog,
      PYTHONDONTWRITEBYTECODE: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal === undefined ? {} : { signal }),
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [exitCode] = (await once(child, 'close')) as [number | null];
  writeFileSync(join(reportDir, 'output.txt'), output);
  if (exitCode !== 0 && exitCode !== 1) throw new Error(`st run for ${target.name} exited with ${exitCode}:\n${output}`);
  const report = JSON.parse(readFileSync(onlyFile(reportDir, 'json-'), 'utf8')) as JsonReport;
  return {
    target,
    args,
    exitCode,
    failures: readJunitFailures(readFileSync(onlyFile(reportDir, 'junit-'), 'utf8')),
    generated: report.test_cases?.generated ?? 0,
    filtered: report.filtered ?? 0,
    dropped: existsSync(droppedLog)
      ? readFileSync(droppedLog, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as DroppedFailure)
      : [],
    links: /API Links:\s+(.+)/.exec(output)?.[1]?.trim(),
    errors: (report.errors ?? []).map((error) => JSON.stringify(error)),
    output,
    reportDir,
  };
}
