/**
 * The users service on one SQLite file with two workers: concurrent writes
 * from both processes wait for each other (WAL, busy timeout) instead of
 * failing with SQLITE_BUSY.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@flotilla/testing';
import { startGroup } from './support.ts';

const USERS = join(repoRoot, 'services', 'users', 'src', 'main.ts');
const WRITES = 240;
const CONCURRENCY = 12;

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  // A connection per request, so the writes spread over both workers.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

test('concurrent POSTs through two workers on one SQLite file all succeed', async (t) => {
  const group = await startGroup(USERS, 'users', 2, {
    FLOTILLA_CONFIG_DIR: join(repoRoot, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_USERS__GRPC__HOST: '127.0.0.1',
    FLOTILLA_USERS__GRPC__PORT: '0',
  });
  t.after(() => group.destroy());
  let next = 0;
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  const writer = async (): Promise<void> => {
    while (next < WRITES) {
      const n = next++;
      // Every other one in a transaction with its idempotency key (two writes and a read in one transaction).
      const headers: Record<string, string> = n % 2 === 0 ? { 'idempotency-key': `key-${n}` } : {};
      const answer = await post(`${group.url}/users`, { name: `Writer ${n}`, email: `writer-${n}@example.com` }, headers);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status !== 201) problems.push(`${answer.status} ${answer.text}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, writer));
  assert.deepEqual(Object.fromEntries(statuses), { 201: WRITES }, problems.slice(0, 3).join('\n'));
  assert.doesNotMatch(group.svc.stdout() + group.svc.stderr(), /SQLITE_BUSY/);
  // Both workers wrote: their access lines carry their own pids.
  const writers = new Map<number, number>();
  for (const line of group.svc.stdout().split('\n')) {
    if (!line.includes('"POST /users 201"')) continue;
    const pid = (JSON.parse(line) as { 'process.pid': number })['process.pid'];
    writers.set(pid, (writers.get(pid) ?? 0) + 1);
  }
  assert.deepEqual([...writers.keys()].sort(), [...group.workers().values()].sort());
  t.diagnostic(`writes per worker: ${[...writers.values()].join(', ')}`);
  const listed = (await (await fetch(`${group.url}/users?limit=100`)).json()) as { items: unknown[] };
  assert.equal(listed.items.length, 100);
  assert.equal(await group.svc.stop(), 0);
});
