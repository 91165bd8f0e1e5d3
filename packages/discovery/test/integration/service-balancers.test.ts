/**
 * Balancing real HTTP traffic between real node:http servers found through the
 * local registry: P2C steers away from a slow instance, and traffic fails over
 * to another region when the local one dies and comes back when it returns.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, tempDir } from '@flotilla/testing';
import { LocalRegistry } from '../../src/local/local-registry.ts';
import { ServiceBalancers } from '../../src/service-balancers.ts';
import type { PickedInstance } from '../../src/balancer/types.ts';

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

async function httpServer(
  name: string,
  delayMs: () => number,
): Promise<{ server: Server; port: number; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    setTimeout(() => res.end(name), delayMs());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as { port: number }).port,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One request through the balancer: pick, fetch, report. */
async function request(balancers: ServiceBalancers, service: string): Promise<{ id: string; ok: boolean; body?: string }> {
  const picked: PickedInstance = balancers.pick(service);
  const began = performance.now();
  try {
    const response = await fetch(`http://${picked.target}/`, { signal: AbortSignal.timeout(2000) });
    const body = await response.text();
    picked.done({ ok: response.ok, latencyMs: performance.now() - began });
    return { id: picked.instance.id, ok: response.ok, body };
  } catch {
    picked.done({ ok: false, latencyMs: performance.now() - began });
    return { id: picked.instance.id, ok: false };
  }
}

describe('HTTP balancing through the local registry', () => {
  test('P2C sends little traffic to a slow instance', async (t) => {
    const dir = tempDir('p2c-http');
    dirs.push(dir);
    const servers = await Promise.all([httpServer('fast-1', () => 2), httpServer('fast-2', () => 2), httpServer('slow', () => 150)]);
    const registries = servers.map(() => new LocalRegistry({ dir: dir.path, namespace: 'test' }));
    const names = ['fast-1', 'fast-2', 'slow'];
    await Promise.all(
      registries.map((r, i) => r.register({ service: 'api', id: names[i]!, address: '127.0.0.1', ports: { http: servers[i]!.port } })),
    );
    const client = new LocalRegistry({ dir: dir.path, namespace: 'test' });
    const balancers = new ServiceBalancers(client, { port: 'http' });
    t.after(async () => {
      balancers.close();
      await Promise.all([...registries, client].map((r) => r.close()));
      await Promise.all(servers.map((s) => s.close()));
    });
    await balancers.ready('api', 5000);
    await eventually(() => balancers.entry('api').set.snapshot().length === 3, { message: 'three instances' });

    // Eight concurrent clients, 400 requests.
    const results: Array<{ id: string; ok: boolean }> = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (results.length < 400) results.push(await request(balancers, 'api'));
      }),
    );
    const slow = results.filter((r) => r.id === 'slow').length;
    t.diagnostic(`slow instance served ${slow} of ${results.length} requests (fast: ${servers[0]!.hits()} + ${servers[1]!.hits()})`);
    assert.ok(results.every((r) => r.ok));
    assert.ok(slow < results.length * 0.1, `slow got ${slow} of ${results.length}`);
  });

  test('fails over to another region when the local instance dies, and back when it returns', async (t) => {
    const dir = tempDir('failover-http');
    dirs.push(dir);
    const local = await httpServer('eu', () => 1);
    const remote = await httpServer('us', () => 1);
    const euRegistry = new LocalRegistry({ dir: dir.path, namespace: 'test', ttlMs: 2000, heartbeatMs: 300 });
    const usRegistry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
    await euRegistry.register({
      service: 'api',
      id: 'eu-1',
      address: '127.0.0.1',
      ports: { http: local.port },
      region: 'eu',
      zone: 'eu-a',
    });
    await usRegistry.register({
      service: 'api',
      id: 'us-1',
      address: '127.0.0.1',
      ports: { http: remote.port },
      region: 'us',
      zone: 'us-a',
    });
    const client = new LocalRegistry({ dir: dir.path, namespace: 'test', ttlMs: 2000, rescanMs: 250 });
    const balancers = new ServiceBalancers(client, {
      port: 'http',
      locality: { region: 'eu', zone: 'eu-a' },
      ejection: { consecutiveFailures: 3, baseEjectionMs: 500 },
    });
    let restarted: Awaited<ReturnType<typeof httpServer>> | undefined;
    const euAgain = new LocalRegistry({ dir: dir.path, namespace: 'test' });
    t.after(async () => {
      balancers.close();
      await Promise.all([euRegistry, usRegistry, client, euAgain].map((r) => r.close()));
      await Promise.all([local, remote, restarted].map((s) => s?.close()));
    });
    await eventually(() => balancers.entry('api').set.snapshot().length === 2, { message: 'both instances' });

    const log: Array<{ body: string | undefined; ok: boolean }> = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        const result = await request(balancers, 'api');
        log.push({ body: result.body, ok: result.ok });
        await sleep(5);
      }
    })();
    /** Where the last `n` requests began, if none was sent before request number `since` and `body` answered them all. */
    const servedBy = (body: string, since: number, n = 10): { from: number } | undefined => {
      const from = log.length - n;
      return from >= since && log.slice(from).every((e) => e.ok && e.body === body) ? { from } : undefined;
    };

    await eventually(() => servedBy('eu', 0), { message: 'traffic on the local region' });
    // The local instance stops answering but stays registered (a hung or half-dead process): only
    // passive health can notice, by ejecting it after consecutive failures.
    const diedAt = log.length;
    await local.close();
    const failedOver = await eventually(() => servedBy('us', diedAt), {
      timeoutMs: 10_000,
      message: 'traffic to move to the remote region',
    });
    const failedDuringFailover = log.slice(diedAt).filter((e) => !e.ok).length;

    // Some 50 requests later a new local instance starts (a restarted process): traffic comes home.
    await eventually(() => log.length >= failedOver.from + 50, { message: 'traffic on the remote region for a while' });
    restarted = await httpServer('eu', () => 1);
    const returnedAt = log.length;
    await euAgain.register({
      service: 'api',
      id: 'eu-2',
      address: '127.0.0.1',
      ports: { http: restarted.port },
      region: 'eu',
      zone: 'eu-a',
    });
    const failedBack = await eventually(() => servedBy('eu', returnedAt), {
      timeoutMs: 10_000,
      message: 'traffic to come back to the local region',
    });
    running = false;
    await traffic;

    t.diagnostic(
      `failover: ${failedOver.from - diedAt} requests after the local instance died (${failedDuringFailover} failed); failback: ${failedBack.from - returnedAt} requests after the new local instance started`,
    );
    assert.ok(failedDuringFailover <= 10, `${failedDuringFailover} requests failed during the failover`);
  });
});
