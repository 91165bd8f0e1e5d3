/**
 * The `shedding` config section is live in a defineService service: an edit
 * of the service's config file (file config centre) changes the thresholds
 * without a restart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { serviceConfig } from '@flotilla/service';
import { captureLogs, eventually, tempDir } from '@flotilla/testing';
import { defineService } from '@flotilla/service';

test('changing shedding.maxInFlight in the config centre applies live', { timeout: 60_000 }, async (t) => {
  const dir = tempDir('shed-reload');
  const file = join(dir.path, 'config', 'dev', 'shedlive.yaml');
  mkdirSync(join(dir.path, 'config', 'dev'), { recursive: true });
  writeFileSync(file, 'shedding:\n  maxInFlight: 1\n');
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const service = defineService({
    name: 'shedlive',
    config: serviceConfig({}),
    http: (app) => {
      app.get('/hold', async () => {
        await held;
        return { held: true };
      });
      app.get('/work', async () => ({ ok: true }));
    },
  });
  const running = await service.start({
    configDir: join(dir.path, 'config'),
    namespace: 'dev',
    env: {
      FLOTILLA_HOME: join(dir.path, 'home'),
      FLOTILLA_SHEDLIVE__HTTP__HOST: '127.0.0.1',
      FLOTILLA_SHEDLIVE__HTTP__PORT: '0',
    },
    logDestination: captureLogs().stream,
  });
  t.after(async () => {
    release();
    await running.stop();
    dir.remove();
  });
  const url = running.httpUrl as string;

  const holding = fetch(`${url}/hold`);
  await eventually(async () => (await fetch(`${url}/work`)).status === 503, { message: 'work shed while one request is held' });

  writeFileSync(file, 'shedding:\n  maxInFlight: 5\n');
  await eventually(async () => (await fetch(`${url}/work`)).status === 200, { message: 'the new limit applied without a restart' });
  assert.equal(running.context.reload.status().pendingRestart.length, 0, 'nothing waits for a restart');

  release();
  assert.equal((await holding).status, 200);
});
