/** `flotilla dev`: run the whole system locally on embedded defaults: every service of services/* with a `flotilla.dev` block, then the gateway. */
import { join } from 'node:path';
import { envPrefix } from '@flotilla/kit';
import { EXIT, UsageError, fail } from '../exit-codes.ts';
import { bannerLines } from './banner.ts';
import { loadDemoData } from './demo-data.ts';
import { resolveListeners, type ProcessListeners } from './listeners.ts';
import { DevOutput, type OutputMode } from './output.ts';
import { checkPorts } from './port-check.ts';
import { checkEntries, devProcesses } from './processes.ts';
import { Supervisor } from './supervisor.ts';
import { startTraceCollector, tracesPort } from './trace-collector.ts';
import { waitReady } from './wait-ready.ts';

export interface DevOptions {
  /** Every event with every field, start-up included (one line per event). */
  verbose?: boolean;
  /** Run the local trace collector and turn tracing on in every process (default true). */
  traces?: boolean;
}

const SLOW_START_MS = 30_000;

export async function runDev(root: string, options: DevOptions = {}): Promise<void> {
  try {
    await dev(root, options);
  } catch (error) {
    fail(error, false);
  }
}

async function dev(root: string, options: DevOptions): Promise<void> {
  const mode = outputMode(process.env.FLOTILLA_LOG_FORMAT, process.stdout.isTTY === true);
  const configDir = process.env.FLOTILLA_CONFIG_DIR ?? join(root, 'config');
  const env = { ...process.env, FLOTILLA_ENV: process.env.FLOTILLA_ENV ?? 'dev', FLOTILLA_CONFIG_DIR: configDir };
  const specs = devProcesses(root);
  checkEntries(root, specs);
  const processes = specs.map((spec) => resolveListeners(spec, env, configDir));
  await checkPorts(processes);
  const collector = options.traces === false ? undefined : await startTraceCollector(tracesPort(env));

  const output = new DevOutput(
    specs.map((p) => p.name),
    {
      mode,
      verbose: options.verbose === true,
      color: mode === 'pretty' && process.stdout.isTTY === true && process.stdout.hasColors(),
      stdout: process.stdout,
      stderr: process.stderr,
    },
  );
  const supervisor = new Supervisor(specs, {
    root,
    // The processes always log JSON to the pipe; this process formats it.
    envFor: (spec) => ({ ...env, [`${envPrefix(spec.name)}LOG__PRETTY`]: 'false', ...(collector && tracingTo(spec.name, collector.url)) }),
    log: (message, level) => output.log(message, level),
    stdoutLine: (name, line) => output.stdoutLine(name, line),
    stderrLine: (name, line) => output.stderrLine(name, line),
    onFatal: () => process.exit(EXIT.invalid),
  });
  // Every process runs on this Node (the pinned one `npm start` puts first on PATH).
  output.log(`Node.js ${process.version} (${process.execPath})`);

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) {
      output.log('stopping again: killing everything now', 'warn');
      supervisor.kill();
      process.exit(130);
    }
    stopping = true;
    output.running();
    output.log(`${reason}: stopping (press Ctrl-C again to force)`);
    void supervisor.stop().then(async () => {
      await collector?.close();
      output.log('all processes stopped');
      process.exit(EXIT.ok);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  // The terminal or the pipe we print to is gone: nobody is watching, stop as on SIGHUP.
  const gone = (): void => {
    output.close();
    if (!stopping) stop('output closed');
  };
  process.stdout.on('error', gone);
  process.stderr.on('error', gone);

  supervisor.start();
  const ready = await waitReady(
    processes.map((p) => p.url),
    {
      slowAfterMs: SLOW_START_MS,
      onSlow: (pending) => output.log(`not ready after ${SLOW_START_MS / 1000} s: ${namesOf(processes, pending)} (still waiting)`, 'warn'),
      cancelled: () => stopping,
    },
  );
  if (!ready) return;
  let userId: string | undefined;
  const usersUrl = urlOf(processes, 'users');
  const ordersUrl = urlOf(processes, 'orders');
  // The demo data set is users and their orders: only when both run.
  if (usersUrl !== undefined && ordersUrl !== undefined) {
    try {
      const demo = await loadDemoData(usersUrl, ordersUrl);
      if (demo.loaded) output.log(`loaded demo data: ${demo.userIds.length} users and their orders`);
      userId = demo.userIds[0];
    } catch (error) {
      output.log(`demo data not loaded: ${error instanceof Error ? error.message : String(error)}`, 'warn');
    }
  }
  if (stopping) return;
  output.running();
  output.plain(bannerLines(processes, userId, collector !== undefined));
}

/** Every process exports its spans to the local collector, in small batches so a trace shows at once. */
function tracingTo(service: string, collectorUrl: string): Record<string, string> {
  const prefix = envPrefix(service);
  return {
    [`${prefix}TRACING__ENABLED`]: 'true',
    [`${prefix}TRACING__ENDPOINT`]: `${collectorUrl}/v1/traces`,
    [`${prefix}TRACING__BATCH_DELAY_MS`]: '200',
  };
}

/** `FLOTILLA_LOG_FORMAT`, else lines for a person on a terminal and JSON anywhere else. */
function outputMode(setting: string | undefined, tty: boolean): OutputMode {
  if (setting === undefined || setting === '') return tty ? 'pretty' : 'json';
  if (setting === 'json' || setting === 'pretty') return setting;
  throw new UsageError(`FLOTILLA_LOG_FORMAT must be json or pretty, not ${JSON.stringify(setting)}`);
}

function urlOf(processes: ProcessListeners[], name: string): string | undefined {
  return processes.find((p) => p.spec.name === name)?.url;
}

function namesOf(processes: ProcessListeners[], urls: string[]): string {
  return processes
    .filter((p) => urls.includes(p.url))
    .map((p) => p.spec.name)
    .join(', ');
}
