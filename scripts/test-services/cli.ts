// node scripts/test-services/cli.ts <install|start|stop|run> ...
//   install [--only a,b]
//   start   [--only a,b] --state DIR   detached servers; writes DIR/env.json, prints export lines
//   stop    --state DIR
//   run     [--only a,b] -- COMMAND... start, run COMMAND with the env, always stop; exits with COMMAND's code
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installServices, servers, startServices } from './index.ts';
import { startDetached, stopDetached, superviseDetached } from './lib/detached.ts';
import { stderrLog } from './lib/log.ts';

const SETPRIV = '/usr/bin/setpriv';

const USAGE = `usage: cli.ts install [--only a,b]
       cli.ts start [--only a,b] --state DIR
       cli.ts stop --state DIR
       cli.ts run [--only a,b] -- COMMAND [ARGS...]
servers: ${servers.map((s) => s.name).join(', ')}`;

interface Parsed {
  command: string | undefined;
  only: string[] | undefined;
  state: string | undefined;
  rest: string[];
}

function parse(argv: string[]): Parsed {
  const parsed: Parsed = { command: argv[0], only: undefined, state: undefined, rest: [] };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--') {
      parsed.rest = argv.slice(i + 1);
      break;
    } else if (flag === '--only') {
      parsed.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (flag === '--state') {
      parsed.state = value();
    } else {
      throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return parsed;
}

class UsageError extends Error {}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Starts, runs the command, stops no matter what; resolves to the exit code. */
async function run(only: string[] | undefined, command: string[]): Promise<number> {
  if (command.length === 0) throw new UsageError('run needs a command after --');
  let interrupted: NodeJS.Signals | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      // Second signal: give up waiting; setpriv's pdeathsig takes the servers down with us.
      process.exit(130);
    }
    interrupted = signal;
    stderrLog(`${signal}: stopping`);
    child?.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const services = await startServices({ only });
  try {
    if (interrupted) return 130;
    // setpriv --pdeathsig: the command gets SIGTERM if this CLI is killed outright.
    const [file, ...rest] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig=TERM', '--', ...command] : command;
    child = spawn(file!, rest, { stdio: 'inherit', env: { ...process.env, ...services.env } });
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child!.once('error', reject);
      child!.once('exit', (c, s) => resolve({ code: c, signal: s }));
    });
    if (code !== null) return code;
    return 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGHUP' ? 1 : 2);
  } finally {
    await services.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  switch (args.command) {
    case 'install':
      await installServices({ only: args.only });
      return 0;
    case 'run':
      return run(args.only, args.rest);
    case 'start': {
      if (!args.state) throw new UsageError('start needs --state DIR');
      const env = await startDetached({ cliPath: fileURLToPath(import.meta.url), stateDir: args.state, only: args.only });
      for (const [key, value] of Object.entries(env)) process.stdout.write(`export ${key}=${shellQuote(value)}\n`);
      return 0;
    }
    case 'stop':
      if (!args.state) throw new UsageError('stop needs --state DIR');
      await stopDetached(args.state);
      return 0;
    case '__supervise': // internal: the detached process behind `start`
      if (!args.state) throw new UsageError('__supervise needs --state DIR');
      return superviseDetached(args.state, args.only);
    default:
      throw new UsageError(args.command ? `unknown command ${args.command}` : 'missing command');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`[test-services] ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  },
);
