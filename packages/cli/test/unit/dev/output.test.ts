/** DevOutput: prefixes per process, start-up condensed, JSON passed through. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { DevOutput, type OutputMode } from '../../../src/dev/output.ts';

function sink(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

function output(mode: OutputMode, verbose = false) {
  const stdout = sink();
  const stderr = sink();
  const dev = new DevOutput(['greeter', 'users', 'gateway'], { mode, verbose, color: false, stdout: stdout.stream, stderr: stderr.stream });
  return { dev, stdout: stdout.lines, stderr: stderr.lines };
}

function line(at: Date, message: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ 'log.level': 'info', '@timestamp': at.toISOString(), 'service.name': 'users', message, ...fields });
}

const before = new Date(2026, 0, 5, 10, 0, 0, 0);
const after = new Date(2026, 0, 5, 10, 0, 5, 0);

test('every line carries its process name, padded like docker compose', () => {
  const { dev, stdout } = output('pretty');
  dev.running(before);
  dev.stdoutLine('users', line(after, 'hello'));
  dev.stderrLine('gateway', 'plain text on stderr');
  dev.log('supervisor speaking', 'warn');
  const [users, gateway, supervisor] = stdout();
  assert.equal(users, 'users    | 10:00:05.000 INFO  hello');
  assert.equal(gateway, 'gateway  | plain text on stderr');
  assert.match(supervisor as string, /^flotilla \| \d\d:\d\d:\d\d\.\d{3} WARN {2}supervisor speaking$/);
});

test('start-up chatter is condensed to the ready line, warnings always shown', () => {
  const { dev, stdout } = output('pretty');
  dev.stdoutLine('users', line(before, 'applied 2 migration(s)', { event: { action: 'migrated' } }));
  dev.stdoutLine('users', line(before, 'users ready on http://127.0.0.1:8081', { event: { action: 'started' } }));
  dev.stdoutLine('users', line(before, 'slow start', { 'log.level': 'warn' }));
  // Start-up ends at `after`: a line logged before it but read later is still start-up.
  dev.running(after);
  dev.stdoutLine(
    'users',
    line(before, 'POST /users 201', { event: { type: ['access'], duration: 1e6 }, http: { request: { method: 'POST' } } }),
  );
  dev.stdoutLine(
    'users',
    line(new Date(after.getTime() + 1), 'GET /users 200', {
      event: { type: ['access'], duration: 2e6 },
      http: { request: { method: 'GET' } },
    }),
  );
  assert.deepEqual(stdout(), [
    'users    | 10:00:00.000 INFO  users ready on http://127.0.0.1:8081',
    'users    | 10:00:00.000 WARN  slow start',
    'users    | 10:00:05.001 INFO  GET /users 200 2.0 ms',
  ]);
});

test("the supervisor's own requests (readiness probes, demo data) are not shown after start-up either", () => {
  const { dev, stdout } = output('pretty');
  dev.running(before);
  const access = (agent: string) => ({
    event: { type: ['access'], duration: 1e6 },
    http: { request: { method: 'GET' } },
    user_agent: { original: agent },
  });
  dev.stdoutLine('users', line(after, 'GET /readyz 200', access('flotilla-dev')));
  dev.stdoutLine('users', line(after, 'GET /readyz 200', access('curl/8.5.0')));
  assert.deepEqual(stdout(), ['users    | 10:00:05.000 INFO  GET /readyz 200 1.0 ms']);
});

test('verbose shows start-up too, every field', () => {
  const { dev, stdout } = output('pretty', true);
  dev.stdoutLine('users', line(before, 'applied 2 migration(s)', { event: { action: 'migrated' } }));
  assert.deepEqual(stdout(), ['users    | 10:00:00.000 INFO  applied 2 migration(s) service.name=users event.action=migrated']);
});

test("json mode: the processes' lines untouched on stdout, the rest on stderr", () => {
  const { dev, stdout, stderr } = output('json');
  const raw = line(before, 'applied 2 migration(s)');
  dev.stdoutLine('users', raw);
  dev.stderrLine('users', 'oops');
  dev.log('hello');
  dev.plain(['Flotilla is running:']);
  assert.deepEqual(stdout(), [raw]);
  assert.deepEqual(stderr(), ['[users] oops', '[flotilla] hello', 'Flotilla is running:']);
});

test('nothing is written once the output is closed', () => {
  const { dev, stdout } = output('pretty');
  dev.close();
  dev.log('into the void');
  assert.deepEqual(stdout(), []);
});
