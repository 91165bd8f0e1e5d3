/**
 * In a terminal, `flotilla dev` prints for a person: one prefixed line per
 * event, start-up condensed to a few lines ending with the banner, access
 * lines compact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, ESC, screenText, startDev } from '@flotilla/testing';

const BANNER_END = 'Ctrl-C stops everything.';
const PREFIXED = /^(flotilla|greeter |users {3}|orders {2}|gateway ) \| \d\d:\d\d:\d\d\.\d{3} (INFO |WARN |ERROR|FATAL) \S/;

test('under a terminal: start-up in at most 25 lines, prefixed, and a compact access line', async (t) => {
  const run = await startDev({ pty: true });
  t.after(() => run.cleanup());
  await run.printed(new RegExp(BANNER_END.replace('.', '\\.')));

  const screen = screenText(run.output());
  const startup = screen.slice(0, screen.indexOf(BANNER_END) + BANNER_END.length).split('\n');
  t.diagnostic(`lines up to and including the banner: ${startup.length}`);
  assert.ok(startup.length <= 25, `${startup.length} lines:\n${startup.join('\n')}`);
  const logLines = startup.slice(0, startup.indexOf('Flotilla is running:') - 1);
  for (const line of logLines) assert.match(line, PREFIXED);
  for (const name of ['greeter', 'users', 'orders', 'gateway']) {
    const port = run.ports[`${name}.http`];
    assert.ok(
      logLines.some((l) => l.startsWith(`${name.padEnd(8)} | `) && l.includes(`${name} ready on http://127.0.0.1:${port}`)),
      `a ready line for ${name}`,
    );
  }
  // Each process's prefix has its colour.
  assert.match(run.output(), new RegExp(`${ESC}\\[[0-9;]+musers {4}\\|`));

  const response = await fetch(`http://127.0.0.1:${run.ports['gateway.http']}/api/users`);
  assert.equal(response.status, 200);
  await response.arrayBuffer();
  await eventually(
    () => /^gateway {2}\| \d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/api\/users 200 (\d+\.\d ms|\d+\.\d\d s)$/m.test(screenText(run.output())),
    {
      timeoutMs: 10_000,
      message: 'a compact access line for GET /api/users',
    },
  );

  process.kill(run.supervisorPid(), 'SIGINT');
  await eventually(() => run.pids().length === 0, { timeoutMs: 30_000, intervalMs: 100, message: 'the run to end after Ctrl-C' });
});
