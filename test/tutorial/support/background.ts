/**
 * A long-running command (`npm start`) as a reader runs it in a terminal of
 * its own: `sh -c COMMAND` as the leader of a new process group, its output
 * kept, and Ctrl-C as a terminal sends it, SIGINT to the whole group. Every
 * process of the run (the services too, which `flotilla dev` starts in groups
 * of their own) carries `marker` in its environment, so what is left of it
 * can be found and killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually, processesMarked } from '@flotilla/testing';

export interface Background {
  /** Everything printed so far, stdout and stderr as they arrived. */
  output(): string;
  /** Waits until the output matches; fails at once if the command ended first. */
  printed(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGINT to the group, then waits until the command and every process of the run have exited; resolves with its exit code. */
  ctrlC(timeoutMs: number): Promise<number | null>;
  /** Kills whatever of the run is left. */
  kill(): Promise<void>;
}

export function startInBackground(command: string, options: { cwd: string; env: NodeJS.ProcessEnv; marker: string }): Background {
  const child: ChildProcess = spawn('sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  let code: number | null | undefined;
  const closed = once(child, 'close').then(([exitCode]) => {
    code = exitCode as number | null;
    return code;
  });
  const pids = (): number[] => processesMarked(options.marker);

  return {
    output: () => text,
    printed: async (pattern, timeoutMs) => {
      await eventually(() => pattern.test(text) || code !== undefined, {
        timeoutMs,
        intervalMs: 100,
        message: `"${command}" to print ${pattern}`,
      }).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}; printed so far:\n${text.slice(-8_000)}`);
      });
      // The output only grows: what matched once matches again.
      const match = pattern.exec(text);
      if (match === null) throw new Error(`"${command}" ended (exit ${code}) before printing ${pattern}:\n${text.slice(-8_000)}`);
      return match;
    },
    ctrlC: async (timeoutMs) => {
      process.kill(-(child.pid as number), 'SIGINT');
      await eventually(() => code !== undefined && pids().length === 0, {
        timeoutMs,
        intervalMs: 100,
        message: `"${command}" and its processes to exit after Ctrl-C (left: ${pids().join(', ')})`,
      });
      return code as number | null;
    },
    kill: async () => {
      for (const pid of pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      if (code === undefined) {
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {
          // the group is gone
        }
        await closed;
      }
    },
  };
}
