// Public entry: install what is missing, start the selected servers in one
// temp dir, hand back their merged env and one stop().
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasAptNeeds, type RunningServer, type TestServer } from './types.ts';
import { servers } from './servers.ts';
import { aptInstall } from './lib/apt.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { isProcessAlive } from './lib/proc.ts';

export type { ServerContext, RunningServer, TestServer } from './types.ts';
export { servers } from './servers.ts';
export { startPostgres, type PostgresOptions, type RunningPostgres } from './postgres.ts';
export { startMariadb, type MariadbOptions, type RunningMariadb } from './mariadb.ts';
export { startRedis, redisServerBin, type RedisOptions, type RunningRedis } from './redis.ts';
export { startEtcd, etcdBin, etcdVersion, type EtcdOptions, type RunningEtcd } from './etcd.ts';
export { startPrometheus, PROMETHEUS_BIN, PROMTOOL_BIN, type PrometheusOptions, type RunningPrometheus } from './prometheus.ts';
export { NGINX_BIN } from './nginx.ts';
export { freePort, isPortFree } from './lib/ports.ts';
export { ServerStartError } from './lib/ready.ts';

export interface ServiceSelection {
  /** Server names (see `servers`); default: all. */
  only?: string[];
  log?: Log;
}

export interface StartedServices {
  env: Record<string, string>;
  /** The temp dir holding one subdirectory (data + log) per server. */
  dir: string;
  stop(): Promise<void>;
}

export function selectServers(only?: string[]): TestServer[] {
  if (!only || only.length === 0) return servers;
  const known = new Map(servers.map((s) => [s.name, s]));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`test-services: unknown server(s) ${unknown.join(', ')}; known: ${[...known.keys()].join(', ')}`);
  }
  return [...new Set(only)].map((name) => known.get(name)!);
}

/**
 * Installs what the selected servers lack: all their Debian packages in one
 * apt-get call, while servers without Debian needs (etcd's Go build) install
 * alongside; then every install() runs to finish its own steps.
 */
export async function installServices(selection: ServiceSelection = {}): Promise<void> {
  const log = selection.log ?? stderrLog;
  const selected = selectServers(selection.only);
  const aptPackages = selected.flatMap((s) => (hasAptNeeds(s) ? s.missingAptPackages() : []));
  const needsApt = (s: TestServer): boolean => hasAptNeeds(s) && s.missingAptPackages().length > 0;
  const independent = selected.filter((s) => !needsApt(s));
  const afterApt = selected.filter(needsApt);
  await Promise.all([
    aptInstall(aptPackages, log).then(() => Promise.all(afterApt.map((s) => s.install(log)))),
    ...independent.map((s) => s.install(log)),
  ]);
}

const TEMP_PREFIX = 'flotilla-services-';

/** Removes temp dirs left by owners that were killed before they could stop (SIGKILL). */
function sweepAbandonedDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (isProcessAlive(owner)) continue;
    } catch {
      if (Date.now() - statSync(dir).mtimeMs < 60_000) continue; // may be starting right now
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Installs what is missing, then starts the selected servers in parallel. */
export async function startServices(selection: ServiceSelection = {}): Promise<StartedServices> {
  const log = selection.log ?? stderrLog;
  const began = Date.now();
  const selected = selectServers(selection.only);
  await installServices({ only: selected.map((s) => s.name), log });

  sweepAbandonedDirs();
  const dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  chmodSync(dir, 0o755); // servers that drop root (postgres) must reach their subdirectory
  const results = await Promise.allSettled(
    selected.map((server) => {
      const serverDir = join(dir, server.name);
      mkdirSync(serverDir);
      return server.start({ dir: serverDir, log });
    }),
  );
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(running.map((r: RunningServer) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  };

  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await stopAll();
    throw new Error(`test-services: ${failures.length} server(s) failed to start:\n${failures.map((e) => e.message).join('\n')}`);
  }
  const env = Object.assign({}, ...running.map((r) => r.env)) as Record<string, string>;
  log(`${selected.map((s) => s.name).join(', ')} ready (${seconds(began)})`);
  let stopping: Promise<void> | undefined;
  return { env, dir, stop: () => (stopping ??= stopAll()) };
}
