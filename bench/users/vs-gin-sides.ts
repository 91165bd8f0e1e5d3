/**
 * The two sides of vs-gin.ts, each a child process on 127.0.0.1 writing its
 * logs (one JSON access line per request) to a file: Flotilla's users service
 * (the bundle `npm start` runs, as servers.ts starts it) and the Gin + GORM
 * peer of ../gin-peer, built once into ~/.cache/flotilla/bin.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from '../lib/children.ts';
import { ensureGoBinary } from '../lib/go-binary.ts';
import { freePort, waitFor200 } from '../lib/net.ts';
import { startUsers } from './servers.ts';

export type SideKey = 'flotilla' | 'gin';

export const SIDE_LABELS: Record<SideKey, string> = { flotilla: 'Flotilla users', gin: 'Gin + GORM' };

const GIN_PEER_DIR = fileURLToPath(new URL('../gin-peer/', import.meta.url));

export interface Started {
  child: Child;
  url: string;
  /** Spawn → first 200 from /readyz, in ms. */
  readyMs: number;
  /** stdout + stderr of the process. */
  logFile: string;
}

export interface StartOptions {
  /** Process and file names. */
  name: string;
  /** sqlite:/path/file.sqlite or postgres://… */
  dsn: string;
  cpus: string | undefined;
  workDir: string;
  /** On: Flotilla at log level info (its production default), the peer's JSON access log; off: warn / off. */
  accessLog: boolean;
}

/** The peer's binary for the module as it is now (built on first use: Go, cgo and the module proxy, a few minutes once). */
export function buildGinPeer(log: (message: string) => void): Promise<string> {
  return ensureGoBinary({ name: 'gin-peer', moduleDir: GIN_PEER_DIR, cgo: true, log });
}

/** Flotilla's users service; `nodeArgs` and `main` serve the CPU profile (--cpu-prof on the unbundled dist/main.js). */
export async function startFlotilla(opts: StartOptions & { nodeArgs?: string[]; main?: string }): Promise<Started> {
  const logFile = join(opts.workDir, `${opts.name}.log`);
  const server = await startUsers({
    name: opts.name,
    dsn: opts.dsn,
    logLevel: opts.accessLog ? 'info' : 'warn',
    outputFile: logFile,
    workDir: opts.workDir,
    cpus: opts.cpus,
    ...(opts.nodeArgs === undefined ? {} : { nodeArgs: opts.nodeArgs }),
    ...(opts.main === undefined ? {} : { main: opts.main }),
  });
  return { child: server.child, url: server.url, readyMs: server.readyAt - server.spawnedAt, logFile };
}

/** The parent's env without FLOTILLA_* or GIN_* keys, so only what the bench sets configures the child. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_') && !key.startsWith('GIN_')));
}

export async function startGin(bin: string, opts: StartOptions): Promise<Started> {
  const logFile = join(opts.workDir, `${opts.name}.log`);
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawnChild({
    name: opts.name,
    command: bin,
    args: ['--port', String(port), '--database', opts.dsn, '--access-log', opts.accessLog ? 'json' : 'off'],
    cwd: opts.workDir,
    // service.environment in its log lines says what Flotilla's say in this bench (FLOTILLA_ENV=dev), so lines are the same size.
    env: { ...cleanEnv(), GIN_PEER_ENVIRONMENT: 'dev' },
    cpus: opts.cpus,
    outputFile: logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const readyAt = await waitFor200(`${url}/readyz`, {
      timeoutMs: 30_000,
      intervalMs: 5,
      hasExited: () => child.hasExited(),
      name: child.name,
    });
    return { child, url, readyMs: readyAt - spawnedAt, logFile };
  } catch (error) {
    await child.stop(1_000);
    throw error;
  }
}
