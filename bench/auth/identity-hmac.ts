/**
 * What the identity header's MAC costs per proxied request: the gateway signs
 * one `x-flotilla-identity` and the service verifies it. Three ways, measured
 * in the same process, interleaved round by round:
 *
 *  - `HmacSha256`: the kit's own HMAC-SHA256 (packages/auth/src/hmac-sha256.ts),
 *    the key's inner and outer pads built once, each MAC two one-shot
 *    `crypto.hash()` calls; what the Authenticator signs and verifies with;
 *  - `createHmac`: `crypto.createHmac('sha256', secret)` per MAC, what
 *    identity-header.ts does when given the secret as a string;
 *  - `jose HS256`: the same JSON payload as a compact JWS, `CompactSign` then
 *    `compactVerify` with a secret KeyObject (async, WebCrypto underneath),
 *    for what a standard JWS would cost instead of the `v1.` format.
 *
 * The first two go through the kit's own `signIdentity` and
 * `verifyIdentityHeader` (serialising, base64url, parsing, binding checks), so
 * the difference between them is the MAC alone; rows for the gateway's share
 * (sign only) and for the bare MACs follow. Each round runs every way for
 * `--iterations` requests, in a rotating order, and takes this process's
 * CPU time (user + system) per request; the figure is the median over the
 * rounds, the ratio is taken per round against the `createHmac` row of the
 * same kind and medianed.
 *
 *   node bench/auth/identity-hmac.ts [--rounds 9] [--iterations 20000] [--json FILE]
 */
import { createHmac, createSecretKey, randomUUID, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CompactSign, compactVerify } from 'jose';
import { HmacSha256 } from '../../packages/auth/src/hmac-sha256.ts';
import { signIdentity, verifyIdentityHeader, type IdentitySecret } from '../../packages/auth/src/identity-header.ts';
import type { Identity } from '../../packages/auth/src/identity.ts';
import { fixed, median, renderTable } from '../lib/table.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    iterations: { type: 'string', default: '20000' },
    json: { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const iterations = Number(args.iterations);
if (!(rounds >= 1 && iterations >= 1)) throw new Error('--rounds and --iterations must be at least 1');

const SECRET = 'identity-secret-shared-by-gateway-and-services-0123456789';
const identity: Identity = { subject: 'ada@example.com', roles: ['reader', 'orders:write'], method: 'jwt', claims: {} };
const binding = { method: 'GET', target: '/api/users/42?expand=orders', requestId: randomUUID() };
const now = Date.now();

/** One measured operation and the row it is compared with. */
interface Way {
  name: string;
  peer: string;
  operation: () => void | Promise<void>;
}

function signAndVerify(name: string, secret: IdentitySecret): Way {
  return {
    name: `sign + verify: ${name}`,
    peer: 'sign + verify: createHmac',
    operation: () => {
      const value = signIdentity(identity, secret, { ...binding, now });
      if (!verifyIdentityHeader(value, [secret], binding, { now }).ok) throw new Error(`${name}: the header did not verify`);
    },
  };
}

function signOnly(name: string, secret: IdentitySecret): Way {
  return {
    name: `sign only (gateway): ${name}`,
    peer: 'sign only (gateway): createHmac',
    operation: () => void signIdentity(identity, secret, { ...binding, now }),
  };
}

function joseCompactJws(): Way {
  const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
  const header = { alg: 'HS256' };
  const iat = Math.floor(now / 1000);
  const claims = { sub: identity.subject, roles: identity.roles, m: identity.method, iat, exp: iat + 30 };
  return {
    name: 'sign + verify: jose HS256 compact JWS',
    peer: 'sign + verify: createHmac',
    operation: async () => {
      const payload = Buffer.from(JSON.stringify({ ...claims, mth: binding.method, tgt: binding.target, rid: binding.requestId }));
      const jws = await new CompactSign(payload).setProtectedHeader(header).sign(key);
      const verified = await compactVerify(jws, key, { algorithms: ['HS256'] });
      const read = JSON.parse(Buffer.from(verified.payload).toString('utf8')) as { tgt: string };
      if (read.tgt !== binding.target) throw new Error('jose: the payload did not round-trip');
    },
  };
}

/** The bare MAC, as one request uses it: a digest to sign, a digest and a constant-time compare to verify. */
function macOnly(name: string, digest: (message: string) => Buffer): Way {
  const message = signIdentity(identity, SECRET, { ...binding, now })
    .split('.')
    .slice(0, 2)
    .join('.');
  return {
    name: `MAC only: ${name}`,
    peer: 'MAC only: createHmac',
    operation: () => {
      const signature = digest(message);
      if (!timingSafeEqual(signature, digest(message))) throw new Error(`${name}: MACs differ`);
    },
  };
}

const prepared = new HmacSha256(SECRET);
if (prepared.digestBase64url('v1.check') !== createHmac('sha256', SECRET).update('v1.check').digest('base64url'))
  throw new Error('HmacSha256 and createHmac disagree');
const ways: Way[] = [
  signAndVerify('createHmac', SECRET),
  signAndVerify('HmacSha256', prepared),
  joseCompactJws(),
  signOnly('createHmac', SECRET),
  signOnly('HmacSha256', prepared),
  macOnly('createHmac', (m) => createHmac('sha256', SECRET).update(m, 'utf8').digest()),
  macOnly('HmacSha256', (m) => prepared.digest(m)),
];

/** CPU µs per operation over `count` operations. */
async function measure(way: Way, count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const pending = way.operation();
    if (pending !== undefined) await pending;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
log(`node ${process.version}, ${cpus().length} CPUs, load average at start ${loadAverage()}`);
for (const way of ways) await measure(way, Math.min(iterations, 5_000)); // warm-up: JIT, jose's key cache

const perRound = new Map<string, number[]>(ways.map((w) => [w.name, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < ways.length; i++) {
    const way = ways[(round + i) % ways.length] as Way;
    perRound.get(way.name)?.push(await measure(way, iterations));
  }
  log(`round ${round + 1}/${rounds} done`);
}
log(`load average at end ${loadAverage()}`);

const rows = ways.map((way) => {
  const own = perRound.get(way.name) as number[];
  const peer = perRound.get(way.peer) as number[];
  return {
    name: way.name,
    microseconds: median(own),
    min: Math.min(...own),
    max: Math.max(...own),
    peerOverThis: median(own.map((us, i) => (peer[i] as number) / us)),
    savedMicroseconds: median(own.map((us, i) => (peer[i] as number) - us)),
  };
});

console.log(
  renderTable(
    ['per proxied request', 'CPU µs (median)', 'rounds min-max', 'createHmac / this', 'µs less than createHmac'],
    rows.map((r) => [
      r.name,
      fixed(r.microseconds, 2),
      `${fixed(r.min, 2)}-${fixed(r.max, 2)}`,
      fixed(r.peerOverThis, 2),
      fixed(r.savedMicroseconds, 2),
    ]),
  ),
);
if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify({ rounds, iterations, node: process.version, rows }, null, 2)}\n`);
