/**
 * A real `flotilla dev` (from source) on free ports with its own state
 * folder, optionally under a pseudo-terminal (`script` from util-linux), and
 * the processes that belong to it: every process whose environment carries
 * this run's FLOTILLA_HOME. It runs this repository's CLI, or that of a copy
 * (`root`), which then runs the copy's services.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from '../eventually.ts';
import { freePort } from '../free-port.ts';
import { repoRoot } from '../repository.ts';
import { tempDir, type TempDir } from '../temp-dir.ts';
import { processesMarked } from './processes-marked.ts';

/** The listeners of the dev system, as `<service>.<protocol>`. */
/** `dev.traces` is flotilla dev's own trace collector (FLOTILLA_DEV_TRACES_PORT); the rest are the processes' listeners. */
export const LISTENERS = [
  'greeter.http',
  'greeter.grpc',
  'users.http',
  'users.grpc',
  'orders.http',
  'orders.grpc',
  'gateway.http',
  'dev.traces',
];

export interface DevRunOptions {
  /** The repository whose CLI runs (and whose services it runs); this one by default. */
  root?: string;
  /** Run under a pseudo-terminal, as in a terminal window. */
  pty?: boolean;
  args?: string[];
  /** Ports to use instead of free ones, by listener. */
  ports?: Record<string, number>;
}

export interface DevRun {
  home: TempDir;
  ports: Record<string, number>;
  /** `script` under a pty, else the supervisor itself. */
  process: ChildProcess;
  /** Everything printed so far (stdout and stderr as they arrived), raw. */
  output(): string;
  /** Waits until the output matches `pattern`; fails if the run ends first. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  /** The `flotilla dev` process. */
  supervisorPid(): number;
  /** Live (not zombie) processes that belong to this run. */
  pids(): number[];
  /** Every port of the run can be listened on again. */
  portsFree(): Promise<boolean>;
  /** Kills whatever of the run is left and removes its state folder. */
  cleanup(): Promise<void>;
}

export async function distinctFreePorts(names: string[]): Promise<Record<string, number>> {
  const taken = new Set<number>();
  const ports: Record<string, number> = {};
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

/** The environment of a run: state under `home`, each listener on its port. */
export function devEnv(home: string, ports: Record<string, number>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    FLOTILLA_HOME: home,
    FLOTILLA_ENV: 'dev',
    FLOTILLA_LOG_FORMAT: undefined,
  };
  delete env.NO_COLOR;
  for (const [listener, port] of Object.entries(ports)) {
    const [service, protocol] = listener.split('.') as [string, string];
    if (listener === 'dev.traces') env.FLOTILLA_DEV_TRACES_PORT = String(port);
    else env[`FLOTILLA_${service.toUpperCase()}__${protocol.toUpperCase()}__PORT`] = String(port);
  }
  return env;
}

/**
 * What a person's colour terminal has, whatever the runner's environment:
 * CI runners often set `CI`, `TERM=dumb` or nothing, which turns colours off.
 */
function terminalEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { CI: _ci, NODE_DISABLE_COLORS: _disabled, FORCE_COLOR: _forced, ...rest } = env;
  return { ...rest, TERM: 'xterm-256color' };
}

export async function startDev(options: DevRunOptions = {}): Promise<DevRun> {
  const root = options.root ?? repoRoot;
  const main = join(root, 'packages', 'cli', 'src', 'main.ts');
  const home = tempDir('dev');
  const ports = options.ports ?? (await distinctFreePorts(LISTENERS));
  const env = options.pty === true ? terminalEnv(devEnv(home.path, ports)) : devEnv(home.path, ports);
  const argv = [process.execPath, '--conditions=@flotilla/source', main, 'dev', ...(options.args ?? [])];
  const child =
    options.pty === true
      ? spawn('script', ['-qfec', argv.map((a) => `'${a}'`).join(' '), '/dev/null'], {
          cwd: root,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(argv[0] as string, argv.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  let ended = false;
  void exited.then(() => (ended = true));

  const pids = (): number[] => processesMarked(`FLOTILLA_HOME=${home.path}`);
  const supervisorPid = (): number => {
    if (options.pty !== true) return child.pid as number;
    const found = pids().find((pid) => {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.includes(main) && args.includes('dev');
    });
    if (found === undefined) throw new Error('no flotilla dev process found');
    return found;
  };

  return {
    home,
    ports,
    process: child,
    output: () => text,
    printed: async (pattern, timeoutMs = 90_000) => {
      try {
        return await eventually(
          () => {
            const match = pattern.exec(text);
            if (match === null && ended) throw new Error(`flotilla dev ended:\n${text}`);
            return match;
          },
          { timeoutMs, intervalMs: 50, message: `flotilla dev to print ${pattern}` },
        );
      } catch (error) {
        if (ended) throw error;
        // What it printed instead is what explains the wait.
        throw new Error(`${error instanceof Error ? error.message : String(error)}; printed so far:\n${text.slice(-8_000)}`, {
          cause: error,
        });
      }
    },
    exited,
    supervisorPid,
    pids,
    portsFree: async () => (await Promise.all(Object.values(ports).map(canListen))).every(Boolean),
    cleanup: async () => {
      for (const pid of pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      home.remove();
    },
  };
}

export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export const ESC = '\u001b';
const COLOR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** The output as read on screen: colours and carriage returns removed. */
export function screenText(raw: string): string {
  return raw.replace(COLOR, '').replace(/\r/g, '');
}
