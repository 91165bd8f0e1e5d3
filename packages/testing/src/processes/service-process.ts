import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '../eventually.ts';

export interface ServiceProcessOptions {
  /** The whole environment of the process (spread `process.env` in to inherit it). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ServiceProcess {
  process: ChildProcess;
  /** Where it serves HTTP, from its "<name> ready on <url>" line. */
  url: string;
  /** Everything it wrote to stdout (its JSON log lines) so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process is gone and everything it wrote has been read. */
  exited: Promise<number | null>;
  /** Waits until stdout matches `pattern`; fails when the process exits first or after `timeoutMs` (default 30 s). */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, a graceful stop; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: gone at once, as in a crash. */
  kill9(): Promise<void>;
}

/**
 * Runs a kit service's entry point (TypeScript, from source) as its own Node
 * process and resolves once it logs "`name` ready on <url>"; rejects if it
 * exits before that.
 */
export async function startServiceProcess(entry: string, name: string, options: ServiceProcessOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', entry], {
    env: options.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close', not 'exit': only then has everything the process wrote been read.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const ready = new RegExp(`${name} ready on (http://[^"\\s]+)`);
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const match = ready.exec(stdout);
      if (match?.[1] !== undefined) {
        child.stdout.off('data', look);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', look);
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${stderr}\n${stdout}`)));
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    printed: (pattern, timeoutMs = 30_000) =>
      eventually(
        () => {
          const match = pattern.exec(stdout);
          if (match === null && exitCode !== undefined) throw new Error(`${name} exited (${exitCode}):\n${stderr}`);
          return match;
        },
        { timeoutMs, message: `${name} to print ${pattern}` },
      ),
    stop: async () => {
      if (running()) child.kill('SIGTERM');
      return await exited;
    },
    kill9: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}
