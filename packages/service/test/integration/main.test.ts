/** defineService as a process: start-up banner, graceful drain on SIGTERM, a second signal, bad config. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { type ServiceProcess, startServiceProcess } from '@flotilla/testing';

const fixture = join(import.meta.dirname, 'fixtures', 'slow-service.ts');

function startFixture(env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess(fixture, 'slow', {
    env: {
      ...process.env,
      FLOTILLA_CONFIG_DIR: '/nonexistent',
      FLOTILLA_SLOW__HTTP__HOST: '127.0.0.1',
      FLOTILLA_SLOW__HTTP__PORT: '0',
      ...env,
    },
  });
}

test('SIGTERM drains in-flight requests, refuses new ones, and exits 0', async () => {
  const svc = await startFixture();
  const inFlight = fetch(`${svc.url}/slow?ms=800`);
  await svc.printed(/sleeping/);
  svc.process.kill('SIGTERM');
  const response = await inFlight;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { slept: 800 });
  assert.equal(await svc.exited, 0);
  await assert.rejects(fetch(`${svc.url}/healthz`), 'the port no longer accepts connections');
  const lines = svc
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { message: string });
  const messages = lines.map((l) => l.message);
  assert.ok(messages.some((m) => m.includes('shutting down: received SIGTERM')));
  assert.equal(messages[messages.length - 1], 'slow stopped', svc.stdout());
});

test('the drain is bounded by shutdown.timeoutMs', async () => {
  const svc = await startFixture({ FLOTILLA_SLOW__SHUTDOWN__TIMEOUT_MS: '300' });
  const inFlight = fetch(`${svc.url}/slow?ms=30000`).then(
    (r) => r.status,
    () => 'cut',
  );
  await svc.printed(/sleeping/);
  svc.process.kill('SIGTERM');
  assert.equal(await svc.exited, 0);
  assert.equal(await inFlight, 'cut');
  assert.match(svc.stdout(), /in-flight requests still running after 300 ms/);
});

test('a second signal exits at once', async () => {
  const svc = await startFixture();
  const inFlight = fetch(`${svc.url}/slow?ms=30000`).catch(() => 'cut');
  await svc.printed(/sleeping/);
  svc.process.kill('SIGTERM');
  // The first signal is being handled (a graceful stop under way) before the second is sent.
  await svc.printed(/shutting down: received SIGTERM/);
  svc.process.kill('SIGINT');
  assert.equal(await svc.exited, 130);
  assert.equal(await inFlight, 'cut');
  assert.match(svc.stderr(), /second SIGINT, exiting now/);
});

test('a SIGTERM while starting stops gracefully once started, and exits 0', async (t) => {
  const gate = join(mkdtempSync(join(tmpdir(), 'flotilla-slow-')), 'open');
  t.after(() => rmSync(dirname(gate), { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', fixture], {
    env: {
      ...process.env,
      FLOTILLA_CONFIG_DIR: '/nonexistent',
      FLOTILLA_SLOW__HTTP__HOST: '127.0.0.1',
      FLOTILLA_SLOW__HTTP__PORT: '0',
      SLOW_SETUP_GATE: gate,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = once(child, 'exit');
  // setup() waits on the gate: the signal arrives while the service is starting.
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/setup waiting/.test(out)) resolve();
    });
  });
  child.kill('SIGTERM');
  writeFileSync(gate, '');
  const [code, signal] = await exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, out);
  const messages = out
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { message: string }).message);
  assert.ok(messages.includes('slow shutting down: received SIGTERM'), out);
  assert.equal(messages.at(-1), 'slow stopped', out);
});

test('invalid config refuses to start with one line per problem, secrets masked, exit 78', async () => {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', fixture], {
    env: {
      ...process.env,
      FLOTILLA_CONFIG_DIR: '/nonexistent',
      FLOTILLA_SLOW__HTTP__PORT: 'eighty',
      FLOTILLA_SLOW__SECRET__PASSWORD: 'short',
      FLOTILLA_SLOW__LOG__LEVL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code] = await once(child, 'close');
  assert.equal(code, 78);
  assert.match(err, /http\.port = "eighty": must be integer/);
  assert.match(err, /secret\.password = "\*\*\*": must not have fewer than 12 characters/);
  assert.match(err, /log\.levl = "debug": is not a known field/);
  assert.doesNotMatch(err, /short/);
});
