import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot } from '../repository.ts';

const CLI_MAIN = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** On top of this process's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to its stdin. */
  input?: string;
  /** Default: the repository's root. */
  cwd?: string;
}

/** Runs the real `flotilla` command (from source) as its own process, to its exit. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', CLI_MAIN, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input);
  // 'close', not 'exit': only then has everything the process wrote been read.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
