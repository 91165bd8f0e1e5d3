/**
 * The hostile corpus (cases.ts) against the real processes: users and orders
 * directly, and both through the gateway. For every case and target:
 *
 * - the answer is what the case allows: a 4xx problem+json with a stable
 *   `type`, and for framing errors a closed connection; never a 5xx (but a
 *   505 for another HTTP major version);
 * - the answer leaks nothing: the case's marker is not in `detail`, no
 *   stack trace, no secret;
 * - nothing changed: the users and orders lists are what they were;
 * - every process is still up and serving.
 *
 * At the end, no process logged an error, and no secret reached a log.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type RawAnswer, rawExchange } from '@flotilla/testing';
import { CASES, type HostileCase, type Target } from './cases.ts';
import { PROCESSES, type HostileSystem, startHostileSystem } from './system.ts';

let system: HostileSystem;
let targets: Target[];
/** The lists before the corpus ran: every case must leave them so. */
let initialState: string;

before(async () => {
  system = await startHostileSystem();
  const { ports } = system;
  const userId = await created(ports.users, '/users', { name: 'Existing', email: `existing-${randomUUID()}@example.com` });
  const orderId = await created(ports.orders, '/orders', {
    userId,
    items: [{ sku: 'EXISTING-1', quantity: 2, unitPrice: 150 }],
    currency: 'EUR',
  });
  targets = [
    { name: 'users', port: ports.users, base: '/users', resource: 'users', id: userId, userId },
    { name: 'orders', port: ports.orders, base: '/orders', resource: 'orders', id: orderId, userId },
    { name: 'gateway → users', port: ports.gateway, base: '/api/users', resource: 'users', id: userId, userId },
    { name: 'gateway → orders', port: ports.gateway, base: '/api/orders', resource: 'orders', id: orderId, userId },
  ];
  initialState = await state();
});

after(() => system?.stop());

async function created(port: number, path: string, body: unknown): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

/** Everything the services hold, as the services list it. */
async function state(): Promise<string> {
  const users = await fetch(`http://127.0.0.1:${system.ports.users}/users?limit=100`);
  const orders = await fetch(`http://127.0.0.1:${system.ports.orders}/orders?limit=100`);
  assert.equal(users.status, 200);
  assert.equal(orders.status, 200);
  return `${await users.text()}\n${await orders.text()}`;
}

const STACK_TRACE = /\n\s+at |node:internal|\.ts:\d+|\.js:\d+|Error: /;

/** What is wrong with `answer` for `hostile` (empty: nothing). */
function problemsWith(hostile: HostileCase, answer: RawAnswer, marker: string): string[] {
  const wrong: string[] = [];
  const expect = hostile.expect ?? 'problem';
  const status = answer.status;
  if (status === undefined) {
    if (expect !== 'timeout') wrong.push('no answer at all');
    if (!answer.closed) wrong.push('no answer, and the connection is still open');
    return wrong;
  }
  if (status >= 500 && !(expect === 'version' && status === 505)) wrong.push(`answered ${status}`);
  if (expect === 'version' && status !== 505) wrong.push(`answered ${status}, not 505`);
  if (expect === 'timeout' && status !== 408) wrong.push(`answered ${status}, not 408`);
  if (status < 400) wrong.push(`answered ${status}: the hostile part was not refused`);
  if (hostile.statuses !== undefined && !hostile.statuses.includes(status))
    wrong.push(`answered ${status}, not ${hostile.statuses.join(' or ')}`);
  if ((expect === 'refused' || expect === 'timeout' || expect === 'version') && !answer.closed) wrong.push('the connection stayed open');
  if (status === 405 && (answer.headers.allow ?? '') === '') wrong.push('a 405 without Allow');
  if (!/^application\/problem\+json/.test(answer.headers['content-type'] ?? '')) {
    wrong.push(`content-type ${answer.headers['content-type']}`);
    return wrong;
  }
  if (hostile.head === true) return wrong;
  let body: { type?: unknown; status?: unknown; detail?: unknown; instance?: unknown };
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    wrong.push(`a body that is not JSON: ${answer.body.slice(0, 80)}`);
    return wrong;
  }
  if (typeof body.type !== 'string' || !body.type.startsWith('https://flotilla.dev/problems/')) wrong.push(`type ${String(body.type)}`);
  if (body.status !== status) wrong.push(`status ${String(body.status)} in a ${status} answer`);
  if (typeof body.detail === 'string' && body.detail.includes(marker)) wrong.push(`the detail repeats the input: ${body.detail}`);
  if (answer.body.includes('a'.repeat(200))) wrong.push('the long parameter is sent back');
  if (STACK_TRACE.test(answer.body)) wrong.push(`a stack trace in the body: ${answer.body.slice(0, 200)}`);
  for (const secret of system.secrets) if (answer.body.includes(secret)) wrong.push('a secret in the body');
  return wrong;
}

async function stillServing(): Promise<string[]> {
  const down: string[] = [];
  for (const name of PROCESSES) {
    const child = system.processes[name].process;
    if (child.exitCode !== null || child.signalCode !== null) {
      down.push(`${name} exited (${child.exitCode ?? child.signalCode})`);
      continue;
    }
    const health = await fetch(`http://127.0.0.1:${system.ports[name]}/healthz`).catch((error: unknown) => error as Error);
    if (health instanceof Error || health.status !== 200) down.push(`${name} does not serve /healthz`);
  }
  return down;
}

describe('the hostile corpus', () => {
  let counter = 0;
  for (const hostile of CASES) {
    test(hostile.name, { timeout: 60_000 }, async () => {
      const failures: string[] = [];
      for (const target of targets) {
        const marker = `hostile-${++counter}-${randomUUID().slice(0, 8)}`;
        let answer: RawAnswer;
        try {
          // The connection stays open after the request, as a real client's does (Node reads a client's FIN as giving up).
          answer = await rawExchange(target.port, hostile.request(target, marker), { head: hostile.head === true });
        } catch (error) {
          failures.push(`${target.name}: ${(error as Error).message}`);
          continue;
        }
        for (const wrong of problemsWith(hostile, answer, marker)) failures.push(`${target.name}: ${wrong}`);
      }
      if ((await state()) !== initialState) failures.push('the users or orders changed');
      failures.push(...(await stillServing()));
      assert.deepEqual(failures, []);
    });
  }

  test('no process logged an error, and no secret reached a log', () => {
    const failures: string[] = [];
    for (const name of PROCESSES) {
      const { stdout, stderr } = { stdout: system.processes[name].stdout(), stderr: system.processes[name].stderr() };
      for (const line of stdout.split('\n')) {
        if (line.trim() === '') continue;
        let level: unknown;
        try {
          level = (JSON.parse(line) as Record<string, unknown>)['log.level'];
        } catch {
          failures.push(`${name}: a line that is not JSON: ${line.slice(0, 200)}`);
          continue;
        }
        if (level !== 'info' && level !== 'debug' && level !== 'trace') failures.push(`${name}: ${line.slice(0, 600)}`);
      }
      for (const secret of system.secrets)
        if (stdout.includes(secret) || stderr.includes(secret)) failures.push(`${name}: a secret in its output`);
    }
    assert.deepEqual(failures, []);
  });
});
