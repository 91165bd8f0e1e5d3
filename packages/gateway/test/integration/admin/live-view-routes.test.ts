/**
 * The gateway's live view of a running system (users, orders, greeter and
 * the gateway as real processes, `fixtures/live-system.ts`): the topology
 * lists every instance and the edges; a traffic stream delivers samples and
 * the sampler stops once it closes; traffic figures move with requests; a
 * fault set with `flotilla config set` is listed and cleared where it was
 * set; a request to users through the gateway is one trace with the
 * gateway's, users' and the database's spans; gRPC reflection lists each
 * service's gRPC services; log levels are read and set per service (the
 * API and `flotilla log-level`); the traffic history comes from Prometheus
 * when the gateway names one; the endpoints are in the OpenAPI document; and a
 * gateway with a stream open still drains at once when stopped.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, parseExposition, runCli, sampleValue, tempDir } from '@flotilla/testing';
import { startPrometheus } from '../../../../../scripts/test-services/prometheus.ts';
import { parse, stringify } from 'yaml';
import { DEV_ADMIN_KEY, startLiveSystem, type LiveSystem } from './fixtures/live-system.ts';

interface Topology {
  services: Array<{
    name: string;
    instances: Array<{
      id: string;
      address: string;
      healthy: boolean;
      outstanding: number | null;
      ejected: boolean;
      ports: { http?: number; grpc?: number };
    }>;
  }>;
  edges: Array<{ from: string; to: string; protocol: string; routes: string[]; source: string }>;
}
interface TrafficSeries {
  key: string;
  kind: string;
  points: Array<{ t: number; rate: number; errorRate: number; p50: number | null; p99: number | null }>;
}
interface Fault {
  id: string;
  source: string;
  document: string | null;
  clearable: boolean;
  status?: number;
  percent: number;
}
interface Span {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: string;
  attributes: Record<string, unknown>;
}

describe('gateway live view', { timeout: 300_000 }, () => {
  let system: LiveSystem;

  const json = async <T>(path: string): Promise<T> => {
    const response = await system.admin(path);
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const metric = async (name: string): Promise<number> =>
    sampleValue(parseExposition(await (await fetch(`${system.gateway.url}/metrics`)).text()), name);
  const through = (path: string, init?: RequestInit): Promise<Response> => fetch(`${system.gateway.url}${path}`, init);
  /** `flotilla config <verb>` on the gateway's document in the system's file centre. */
  const configCli = (verb: string, more: string[] = [], input?: string) =>
    runCli(
      ['config', verb, '--ns', 'dev', '--service', 'gateway', '--config-dir', system.configDir, '--home', system.home, ...more],
      input === undefined ? {} : { input },
    );

  before(async () => {
    system = await startLiveSystem();
  });
  after(async () => {
    await system?.stop();
  });

  test('the topology lists every instance, the routes to the upstreams and the dependency orders declares', async () => {
    const topology = await eventually(
      async () => {
        const answer = await json<Topology>('/admin/topology');
        const counts = ['users', 'orders', 'greeter', 'gateway'].map(
          (name) => answer.services.find((s) => s.name === name)?.instances.length ?? 0,
        );
        return counts.every((count) => count === 1) ? answer : undefined;
      },
      { timeoutMs: 30_000, message: 'one instance of each service in the topology' },
    );
    const users = topology.services.find((s) => s.name === 'users')?.instances[0];
    assert.ok(users !== undefined);
    assert.equal(users.address, `127.0.0.1:${new URL(system.services.users.url).port}`);
    assert.ok(users.ports.grpc !== undefined, 'the gRPC port is listed');
    assert.equal(users.healthy, true);
    assert.equal(users.ejected, false);
    assert.equal(users.outstanding, 0, 'the gateway balances users: its in-flight count is known');
    const edge = (from: string, to: string) => topology.edges.find((e) => e.from === from && e.to === to);
    assert.deepEqual(edge('gateway', 'users')?.routes, ['/api/users/**', '/api/users/:id/profile']);
    assert.equal(edge('gateway', 'greeter')?.protocol, 'http');
    assert.deepEqual(
      { protocol: edge('orders', 'users')?.protocol, source: edge('orders', 'users')?.source },
      { protocol: 'grpc', source: 'declared' },
    );
    // `flotilla topology` prints the same: every instance, then the calls.
    const cli = await runCli(['topology', '--url', system.gateway.url], {
      env: { FLOTILLA_API_KEY: DEV_ADMIN_KEY, FLOTILLA_TOKEN: undefined },
    });
    assert.equal(cli.code, 0, cli.stderr);
    for (const name of ['gateway', 'users', 'orders', 'greeter']) assert.match(cli.stdout, new RegExp(`^${name}\\s+${name}-`, 'm'));
    assert.match(cli.stdout, /^orders -> users \(grpc\)$/m);
  });

  test('a traffic stream delivers samples, and the sampler stops once the last stream closes', async () => {
    assert.equal(await metric('flotilla_gateway_traffic_sampling'), 0, 'no console open: nothing samples');
    const controller = new AbortController();
    const response = await system.admin('/admin/traffic/stream', { signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const sample = await eventually(
      async () => {
        assert.equal((await through('/api/hello/stream')).status, 200);
        const { value } = await reader.read();
        text += value ?? '';
        const match = /event: sample\n(?:retry: \d+\n)?data: (.*)\n\n/.exec(text);
        return match === null
          ? undefined
          : (JSON.parse(match[1] as string) as { t: number; entries: Array<{ key: string; kind: string }> });
      },
      { timeoutMs: 30_000, message: 'a sample event' },
    );
    assert.ok(sample.t > 0);
    assert.ok(sample.entries.some((entry) => entry.kind === 'route' && entry.key === '/api/hello/**'));
    assert.equal(await metric('flotilla_gateway_traffic_streams'), 1);
    assert.equal(await metric('flotilla_gateway_traffic_sampling'), 1);

    controller.abort();
    await eventually(async () => (await metric('flotilla_gateway_traffic_streams')) === 0, { message: 'the stream closed' });
    await eventually(async () => (await metric('flotilla_gateway_traffic_sampling')) === 0, {
      timeoutMs: 30_000,
      message: 'the sampler stopped',
    });
  });

  test('traffic per route and per upstream moves after requests', async () => {
    const first = await json<{ intervalSeconds: number; windowSeconds: number; sampling: boolean }>('/admin/traffic');
    assert.equal(first.windowSeconds, 900);
    assert.equal(first.sampling, true, 'a GET starts the sampler');
    const since = Date.now();
    const series = await eventually(
      async () => {
        for (let i = 0; i < 5; i++) assert.equal((await through(`/api/hello/traffic-${i}`)).status, 200);
        const { series } = await json<{ series: TrafficSeries[] }>('/admin/traffic');
        const route = series.find((s) => s.kind === 'route' && s.key === '/api/hello/**');
        const upstream = series.find((s) => s.kind === 'upstream' && s.key === 'greeter');
        const moved = (s: TrafficSeries | undefined) =>
          s?.points.some((p) => p.t > since && p.rate > 0 && p.p50 !== null && p.p99 !== null);
        return moved(route) && moved(upstream) ? { route, upstream } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'traffic figures for the greeter route and upstream' },
    );
    const point = series.route?.points.find((p) => p.t > since && p.rate > 0);
    assert.equal(point?.errorRate, 0);
    assert.ok((point?.p99 ?? 0) >= (point?.p50 ?? 0));
  });

  test('a fault set with `flotilla config set` is listed (API and `flotilla faults`), and clearing it removes it from the document that set it', async () => {
    const file = join(system.configDir, 'dev', 'gateway.yaml');
    const document = parse(readFileSync(file, 'utf8')) as { resilience: { upstreams?: Record<string, unknown> } };
    document.resilience.upstreams = { greeter: { fault: { abort: { status: 503, percent: 100 } } } };
    const set = await configCli('set', ['-m', 'greeter: abort'], stringify(document));
    assert.equal(set.code, 0, set.stderr);
    await eventually(async () => (await through('/api/hello/faulted')).status === 503, { timeoutMs: 20_000, message: 'the fault applied' });

    const { faults } = await json<{ faults: Fault[]; header: { enabled: boolean } }>('/admin/faults');
    const fault = faults.find((f) => f.id === 'gateway:greeter:abort');
    assert.deepEqual(
      fault && { source: fault.source, document: fault.document, clearable: fault.clearable, status: fault.status, percent: fault.percent },
      { source: 'config-centre', document: 'gateway', clearable: true, status: 503, percent: 100 },
    );

    // The CLI reads and clears through the same API.
    const cliEnv = { env: { FLOTILLA_API_KEY: DEV_ADMIN_KEY, FLOTILLA_TOKEN: undefined } };
    const listed = await runCli(['faults', '--url', system.gateway.url, '--json'], cliEnv);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { faults: Fault[] }).faults.map((f) => f.id),
      ['gateway:greeter:abort'],
    );
    const cleared = await runCli(['faults', 'clear', 'gateway:greeter:abort', '--url', system.gateway.url], cliEnv);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /cleared gateway:greeter:abort/);
    await eventually(async () => (await through('/api/hello/healed')).status === 200, { timeoutMs: 20_000, message: 'the fault cleared' });
    assert.equal((await json<{ faults: Fault[] }>('/admin/faults')).faults.length, 0);
    // Cleared at its source: the centre's document no longer has it, and the change is on record under the caller's name.
    assert.doesNotMatch(readFileSync(file, 'utf8'), /fault:/);
    const history = await configCli('history');
    assert.match(history.stdout, /dev-admin/);

    const again = await system.admin(`/admin/faults/${encodeURIComponent('gateway:greeter:abort')}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    const unknown = await runCli(['faults', 'clear', 'gateway:greeter:abort', '--url', system.gateway.url], cliEnv);
    assert.equal(unknown.code, 2, 'a fault that is not there: exit 2 (not found)');
  });

  test('a request to users through the gateway is one trace: the gateway, users and its database', async () => {
    const created = await through('/api/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced', email: `traced-${process.pid}@example.com` }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const traceId = randomBytes(16).toString('hex');
    const read = await through(`/api/users/${id}`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    assert.equal(read.status, 200);

    const trace = await eventually(
      async () => {
        const response = await system.admin(`/admin/traces/${traceId}`);
        if (response.status !== 200) return undefined;
        const answer = (await response.json()) as { spans: Span[] };
        const services = new Set(answer.spans.map((s) => s.service));
        const database = answer.spans.some((s) => s.service === 'users' && s.attributes['db.system.name'] !== undefined);
        return services.has('gateway') && services.has('users') && database ? answer : undefined;
      },
      { timeoutMs: 20_000, message: 'the merged trace' },
    );
    const spans = trace.spans;
    const gatewayServer = spans.find((s) => s.service === 'gateway' && s.kind === 'server');
    const gatewayClient = spans.find((s) => s.service === 'gateway' && s.kind === 'client');
    const usersServer = spans.find((s) => s.service === 'users' && s.kind === 'server');
    assert.equal(gatewayServer?.parentSpanId, '00f067aa0ba902b7', "the gateway continues the caller's trace");
    assert.equal(gatewayClient?.parentSpanId, gatewayServer?.spanId);
    assert.equal(usersServer?.parentSpanId, gatewayClient?.spanId);
    const database = spans.find((s) => s.attributes['db.system.name'] !== undefined);
    assert.equal(database?.parentSpanId, usersServer?.spanId);

    const { traces, tracing } = await json<{ traces: Array<{ traceId: string; spanCount: number }>; tracing: boolean }>('/admin/traces');
    assert.equal(tracing, true);
    assert.ok(traces.some((t) => t.traceId === traceId && t.spanCount >= 2));
    const unknown = await system.admin(`/admin/traces/${'ab'.repeat(16)}`);
    assert.equal(unknown.status, 404);
    const malformed = await system.admin('/admin/traces/not-a-trace-id');
    assert.equal(malformed.status, 400);
  });

  test('gRPC reflection lists what each service serves', async () => {
    const { services } = await json<{ services: Array<{ service: string; grpcServices: string[]; error?: string }> }>(
      '/admin/grpc-services',
    );
    const of = (name: string) => services.find((s) => s.service === name);
    assert.ok(of('users')?.grpcServices.includes('flotilla.users.v1.UserService'), JSON.stringify(of('users')));
    assert.ok(of('orders')?.grpcServices.includes('flotilla.orders.v1.OrderService'), JSON.stringify(of('orders')));
    assert.ok(
      of('greeter')?.grpcServices.some((name) => name.startsWith('flotilla.greeter.')),
      JSON.stringify(of('greeter')),
    );
    assert.equal(of('gateway'), undefined, 'the gateway has no gRPC listener');
  });

  test('the endpoints are in the OpenAPI document, tagged admin; without a credential they answer 401', async () => {
    const document = (await (await through('/openapi.json')).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    for (const [path, method] of [
      ['/admin/topology', 'get'],
      ['/admin/traffic', 'get'],
      ['/admin/traffic/stream', 'get'],
      ['/admin/faults', 'get'],
      ['/admin/faults/{id}', 'delete'],
      ['/admin/traces', 'get'],
      ['/admin/traces/{traceId}', 'get'],
      ['/admin/grpc-services', 'get'],
    ] as const) {
      assert.deepEqual(document.paths[path]?.[method]?.tags, ['admin'], `${method} ${path}`);
    }
    const anonymous = await through('/admin/topology');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('content-type') ?? '', /application\/problem\+json/);
  });

  test('with console.prometheus set, the traffic history comes from Prometheus; when it stops answering, from the process', async () => {
    const dir = tempDir('traffic-prometheus');
    const gatewayTarget = new URL(system.gateway.url).host;
    const configFile = join(dir.path, 'prometheus.yml');
    writeFileSync(
      configFile,
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        scrape_configs: [{ job_name: 'live-view', static_configs: [{ targets: [gatewayTarget], labels: { service: 'gateway' } }] }],
      }),
    );
    const prometheus = await startPrometheus({ configFile, dir: dir.path });
    try {
      const setConsole = async (value: Record<string, unknown>, message: string) => {
        const file = join(system.configDir, 'dev', 'gateway.yaml');
        const document = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        document.console = { ...(document.console as object), ...value };
        const set = await configCli('set', ['-m', message], stringify(document));
        assert.equal(set.code, 0, set.stderr);
      };
      await setConsole({ prometheus: { url: prometheus.url } }, 'traffic history from Prometheus');
      type Answer = { source: string; warning?: string; series: TrafficSeries[] };
      const moved = (answer: Answer) =>
        answer.series.some((s) => s.kind === 'route' && s.key === '/api/hello/**' && s.points.some((p) => p.rate > 0 && p.p99 !== null)) &&
        answer.series.some((s) => s.kind === 'upstream' && s.key === 'greeter' && s.points.some((p) => p.rate > 0));
      let answer: Answer | undefined;
      await eventually(
        async () => {
          await Promise.all(Array.from({ length: 5 }, (_, i) => through(`/api/hello/prometheus-${i}`).then((r) => r.arrayBuffer())));
          answer = await json<Answer>('/admin/traffic');
          return answer.source === 'prometheus' && moved(answer);
        },
        { timeoutMs: 60_000, intervalMs: 500, message: 'the route and upstream figures from Prometheus' },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; the last answer: ${JSON.stringify(answer).slice(0, 3000)}`);
      });
      assert.equal(answer?.warning, undefined);

      await prometheus.stop();
      const fallback = await json<Answer>('/admin/traffic');
      assert.equal(fallback.source, 'process');
      assert.match(fallback.warning ?? '', /^Prometheus: /);
      await setConsole({ prometheus: undefined }, 'traffic history from the process again');
      await eventually(async () => (await json<Answer>('/admin/traffic')).warning === undefined, {
        timeoutMs: 20_000,
        message: 'the gateway to drop console.prometheus',
      });
    } finally {
      await prometheus.stop();
      dir.remove();
    }
  });

  test('log levels: `flotilla log-level` lists every instance; setting one reaches each instance of the service at once', async () => {
    const cli = (args: string[]) =>
      runCli(['log-level', ...args, '--url', system.gateway.url, '--json'], {
        env: { FLOTILLA_API_KEY: DEV_ADMIN_KEY, FLOTILLA_TOKEN: undefined },
      });
    const levelOf = async (service: keyof LiveSystem['services']): Promise<unknown> =>
      ((await (await fetch(`${system.services[service].url}/admin/log-level`)).json()) as { level: unknown }).level;

    const listed = await cli([]);
    assert.equal(listed.code, 0, listed.stderr);
    const services = (JSON.parse(listed.stdout) as { services: Array<{ service: string; instances: Array<{ level: string | null }> }> })
      .services;
    assert.deepEqual(services.map((s) => s.service).sort(), ['gateway', 'greeter', 'orders', 'users']);
    for (const { instances } of services)
      assert.ok(
        instances.every((i) => typeof i.level === 'string'),
        JSON.stringify(instances),
      );

    const set = await cli(['users', 'debug']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await levelOf('users'), 'debug');
    assert.notEqual(await levelOf('orders'), 'debug', 'only the named service changes');
    const gateway = await cli(['gateway', 'warn']);
    assert.equal(gateway.code, 0, gateway.stderr);
    assert.equal((JSON.parse(gateway.stdout) as { instances: Array<{ level: string }> }).instances[0]?.level, 'warn');

    // The API the console calls; an unknown service or level changes nothing.
    const unknown = await system.admin('/admin/log-levels/billing', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ level: 'debug' }),
    });
    assert.equal(unknown.status, 404);
    const bad = await cli(['users', 'loud']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(await levelOf('users'), 'debug');
    const back = await cli(['users', 'info']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await levelOf('users'), 'info');
  });

  test('a gateway stopped with a traffic stream open ends the stream and drains without waiting on it', async () => {
    const response = await system.admin('/admin/traffic/stream');
    assert.equal(response.status, 200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await eventually(async () => (await metric('flotilla_gateway_traffic_streams')) === 1, { message: 'the stream open' });
    const exited = system.gateway.stop();
    for (;;) if ((await reader.read()).done) break;
    assert.equal(await exited, 0);
    assert.doesNotMatch(system.gateway.stdout(), /drain-timeout/, 'the drain did not wait for its deadline');
  });
});
