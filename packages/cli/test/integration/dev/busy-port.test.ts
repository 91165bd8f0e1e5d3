/** A port the system needs is taken: `flotilla dev` refuses at once, naming the process that holds it. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { runCli, tempDir, canListen, devEnv, distinctFreePorts, LISTENERS } from '@flotilla/testing';

test('a busy port: exit 5 and the holder named by pid and command line, nothing started', async (t) => {
  const ports = await distinctFreePorts(LISTENERS);
  const holder = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${ports['users.http']}, '127.0.0.1', () => console.log('holding'))`, 'port-holder'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await once(holder.stdout, 'data');
  const home = tempDir('dev-busy');
  t.after(() => home.remove());

  const result = await runCli(['dev'], { env: devEnv(home.path, ports) });

  assert.equal(result.code, 5, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`port ${ports['users.http']} \\(users http on 127\\.0\\.0\\.1\\) is in use by pid ${holder.pid}: `),
  );
  assert.match(result.stderr, /is in use by pid \d+: \S*node -e .*port-holder/);
  assert.match(result.stderr, /FLOTILLA_USERS__HTTP__PORT=<port>/);
  // Refused before starting anything: every other port is still free.
  for (const [listener, port] of Object.entries(ports)) {
    if (listener !== 'users.http') assert.equal(await canListen(port), true, `${listener} (${port}) untouched`);
  }
});
