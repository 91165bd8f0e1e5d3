// Child-process helpers for the control plane: spawn with output to a log file, free
// ports, polling for readiness, and stopping with a bounded wait.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** resolves with the exit code (or signal) once the process has exited */
  exited: Promise<number | string>;
  stop(timeoutMs?: number): Promise<void>;
}

export function startProcess(name: string, bin: string, args: string[], logFile: string, log: (m: string) => void): ManagedProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let stopping = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) log(`${name} exited unexpectedly (${code ?? signal}); see ${logFile}`);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      log(`${name} failed to start: ${error.message}`);
      resolve('error');
    });
  });
  return {
    name,
    child,
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns true; fails early if `proc` exits. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc?.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc?.name} exited while waiting for ${what}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
