/** The gateway as its own process (src/main.ts, types stripped by Node), for tests that measure it from outside. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_YAML, NAMESPACE } from './gateway.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'main.ts');

export interface ChildGateway {
  url: string;
  pid: number;
  process: ChildProcess;
  /** Everything the process wrote to stdout/stderr so far. */
  output(): string;
  stop(): Promise<number | null>;
}

export interface ChildGatewayOptions {
  /** FLOTILLA_ENV of the process; default the tests' namespace. */
  namespace?: string;
  /** A config centre's folders (e.g. the file backend the CLI writes to) instead of a private temporary one; left in place on stop. */
  configDir?: string;
  home?: string;
}

/** Writes `<configDir>/<namespace>/gateway.yaml` (BASE_YAML + yaml) and starts the gateway on it. */
export async function startChildGateway(yaml: string, options: ChildGatewayOptions = {}): Promise<ChildGateway> {
  const namespace = options.namespace ?? NAMESPACE;
  const dir = options.configDir ?? mkdtempSync(join(tmpdir(), 'flotilla-gateway-child-'));
  mkdirSync(join(dir, namespace), { recursive: true });
  writeFileSync(join(dir, namespace, 'gateway.yaml'), BASE_YAML + yaml);
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', MAIN], {
    env: {
      PATH: process.env.PATH,
      FLOTILLA_CONFIG_DIR: dir,
      FLOTILLA_ENV: namespace,
      FLOTILLA_HOME: options.home ?? join(dir, 'home'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway child did not start within 30 s:\n${output}`)), 30_000);
    const check = (): void => {
      const ready = /"url":\{"full":"(http:\/\/[^"]+)"\}/.exec(output);
      if (ready?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway child exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid as number,
    process: child,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (options.configDir === undefined) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

/** Samples RSS every `intervalMs` until stopped; returns the peak. */
export function sampleRss(pid: number, intervalMs = 20): { stop(): { peakMiB: number; samples: number } } {
  let peak = rssMiB(pid);
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
      samples++;
    } catch {
      // process gone; the test will notice
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakMiB: peak, samples };
    },
  };
}
