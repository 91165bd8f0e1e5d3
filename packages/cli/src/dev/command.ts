/** `flotilla dev`: run the whole system locally on embedded defaults. */
import { join } from 'node:path';
import { loadDemoData } from './demo-data.ts';
import { DEV_PROCESSES, type ProcessSpec } from './processes.ts';
import { Supervisor } from './supervisor.ts';
import { waitReady } from './wait-ready.ts';

export async function runDev(root: string): Promise<void> {
  const log = (message: string): void => {
    process.stderr.write(`[flotilla] ${message}\n`);
  };
  const env = {
    ...process.env,
    FLOTILLA_ENV: process.env.FLOTILLA_ENV ?? 'dev',
    FLOTILLA_CONFIG_DIR: process.env.FLOTILLA_CONFIG_DIR ?? join(root, 'config'),
  };
  const supervisor = new Supervisor(DEV_PROCESSES, { root, env, log });
  // Every process runs on this Node (the pinned one `npm start` puts first on PATH).
  log(`Node.js ${process.version} (${process.execPath})`);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      log('second signal: killing everything now');
      supervisor.kill();
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping (press Ctrl-C again to force)`);
    void supervisor.stop().then((code) => {
      log('all processes stopped');
      process.exit(code);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  supervisor.start();
  const notReady = await waitReady(
    DEV_PROCESSES.map((p) => p.url),
    30_000,
  );
  if (interrupted) return;
  if (notReady.length > 0) log(`not ready after 30 s: ${notReady.join(', ')} (still trying; see the logs above)`);
  let userId: string | undefined;
  try {
    const demo = await loadDemoData(urlOf('users'), urlOf('orders'));
    if (demo.loaded) log(`loaded demo data: ${demo.userIds.length} users and their orders`);
    userId = demo.userIds[0];
  } catch (error) {
    log(`demo data not loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  printBanner(userId);
}

function urlOf(name: string): string {
  return (DEV_PROCESSES.find((p) => p.name === name) as ProcessSpec).url;
}

function printBanner(userId: string | undefined): void {
  const entry = DEV_PROCESSES.find((p) => p.name === 'gateway')?.url;
  const api = entry === undefined ? urlOf('users') : `${entry}/api`;
  const id = userId ?? '<user-id>';
  process.stdout.write(
    [
      '',
      'Flotilla is running:',
      ...DEV_PROCESSES.map((p) => `  ${p.name.padEnd(8)} ${p.url}   (docs ${p.url}/docs, health ${p.url}/readyz)`),
      '',
      'Try:',
      `  curl -s ${api}/users`,
      `  curl -s -X POST ${api}/users -H 'content-type: application/json' -d '{"name":"Edsger","email":"edsger@example.com"}'`,
      ...(entry === undefined
        ? []
        : [`  curl -s ${api}/users/${id}/profile        # user + orders, fetched in parallel`, `  curl -s ${api}/hello/world`]),
      '  npx flotilla registry ls                 # the instances registered in discovery',
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}
