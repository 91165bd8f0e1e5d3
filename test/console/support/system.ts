/**
 * The whole system for the console's browser tests: `flotilla dev` from
 * source (gateway, users, orders and greeter on SQLite, tracing on) on free
 * ports, with its state in a temporary folder and its file config centre in
 * a temporary copy of `config/`, so the console's writes touch nothing of
 * the repository.
 */
import { cpSync } from 'node:fs';
import { configDir, runCli, tempDir, type CliResult, type TempDir, type DevRun, startDev } from '@flotilla/testing';

/** The dev admin key (config/dev/gateway.yaml). */
export const DEV_ADMIN_KEY = 'flk_dev_admin_key_for_local_use_only';

export interface System {
  gateway: string;
  run: DevRun;
  config: TempDir;
  /** The admin API as the CLI calls it (header credential, no CSRF token). */
  admin<T>(path: string, init?: RequestInit): Promise<T>;
  /** `flotilla …` against this system's config centre. */
  cli(args: string[], input?: string): Promise<CliResult>;
  stop(): Promise<void>;
}

export async function startSystem(): Promise<System> {
  const config = tempDir('console-config');
  cpSync(configDir, config.path, { recursive: true });
  // startDev hands this process's environment to flotilla dev.
  const previous = process.env.FLOTILLA_CONFIG_DIR;
  process.env.FLOTILLA_CONFIG_DIR = config.path;
  let run: DevRun;
  try {
    run = await startDev();
  } finally {
    if (previous === undefined) delete process.env.FLOTILLA_CONFIG_DIR;
    else process.env.FLOTILLA_CONFIG_DIR = previous;
  }
  const stop = async (): Promise<void> => {
    await run.cleanup();
    config.remove();
  };
  try {
    await run.printed(/Ctrl-C stops everything\./, 240_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const gateway = `http://127.0.0.1:${run.ports['gateway.http']}`;
  // The admin key is for the commands that go through the gateway (`flotilla log-level`).
  const env = { FLOTILLA_HOME: run.home.path, FLOTILLA_CONFIG_DIR: config.path, FLOTILLA_ENV: 'dev', FLOTILLA_API_KEY: DEV_ADMIN_KEY };
  return {
    gateway,
    run,
    config,
    admin: async <T>(path: string, init: RequestInit = {}): Promise<T> => {
      const response = await fetch(`${gateway}${path}`, { ...init, headers: { 'x-api-key': DEV_ADMIN_KEY, ...init.headers } });
      const text = await response.text();
      if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
    cli: (args, input) => runCli(args, { env, ...(input === undefined ? {} : { input }) }),
    stop,
  };
}
