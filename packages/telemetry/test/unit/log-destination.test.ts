import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger, drainLogger, LineBatch } from '@flotilla/telemetry';
import { eventually } from '@flotilla/testing';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-log-destination-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fileLogger(name: string): { file: string; batch: LineBatch; logger: ReturnType<typeof createLogger> } {
  const file = join(dir, name);
  const batch = new LineBatch(openSync(file, 'a'));
  return { file, batch, logger: createLogger({ service: 'svc', destination: batch as never }) };
}

const messages = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { message: string }).message);

test('drainLogger resolves once every line so far is in the file, in order, whole', async () => {
  const { file, logger } = fileLogger('drain.log');
  const expected = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 300)}`);
  for (const message of expected) logger.info({ event: { action: 'x' } }, message);
  logger.info('stopped');
  await drainLogger(logger);
  assert.deepEqual(messages(file), [...expected, 'stopped']);
});

test('a lone line is written without any further line or flush', async () => {
  const { file, logger } = fileLogger('lone.log');
  logger.info('alone');
  await eventually(() => messages(file).includes('alone'), { message: 'the lone line reached the file' });
});

test('four processes logging to one stdout pipe at once: every line arrives whole', () => {
  // createLogger's default destination (stdout is a pipe here, not a TTY).
  const script = `
    import { createLogger, drainLogger } from '@flotilla/telemetry';
    const logger = createLogger({ service: 'svc' });
    for (let i = 0; i < 1000; i++) logger.info({ labels: { worker: process.pid } }, 'line ' + i + ' ' + 'z'.repeat(i % 900));
    await drainLogger(logger);
  `;
  const one = '"$NODE" --conditions=@flotilla/source --input-type=module --eval "$SCRIPT" & pids="$pids $!"';
  const run = spawnSync('sh', ['-c', `pids=; ${one}; ${one}; ${one}; ${one}; for p in $pids; do wait $p || exit 1; done`], {
    cwd: import.meta.dirname,
    env: { ...process.env, NODE: process.execPath, SCRIPT: script },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 4000);
  const perWorker = new Map<number, number>();
  for (const line of lines) {
    const parsed = JSON.parse(line) as { labels: { worker: number } };
    perWorker.set(parsed.labels.worker, (perWorker.get(parsed.labels.worker) ?? 0) + 1);
  }
  assert.deepEqual([...perWorker.values()], [1000, 1000, 1000, 1000]);
});

test('a process that exits at once still writes what waited', () => {
  const file = join(dir, 'exit.log');
  const script = `
    import { openSync } from 'node:fs';
    import { createLogger, LineBatch } from '@flotilla/telemetry';
    const logger = createLogger({ service: 'svc', destination: new LineBatch(openSync(${JSON.stringify(file)}, 'a')) });
    for (let i = 0; i < 20; i++) logger.info('before exit ' + i);
    process.exit(3);
  `;
  const run = spawnSync(process.execPath, ['--conditions=@flotilla/source', '--input-type=module', '--eval', script], {
    cwd: import.meta.dirname,
    encoding: 'utf8',
  });
  assert.equal(run.status, 3, run.stderr);
  assert.deepEqual(
    messages(file),
    Array.from({ length: 20 }, (_, i) => `before exit ${i}`),
  );
});
