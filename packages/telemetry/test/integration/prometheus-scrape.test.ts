/**
 * A real Prometheus (scripts/test-services) with the shipped scrape config and
 * rules, pointed at a running service: after some traffic its HTTP API
 * answers the request rate, a histogram_quantile p99 and the recorded error
 * ratio; the dashboard's queries all parse; and once the service is stopped
 * the instance-down alert becomes pending.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { RunningService } from '@flotilla/kit';
import { captureLogs, eventually, observabilityDeployDir, shippedPrometheusFiles } from '@flotilla/testing';
import { startPrometheus, type RunningPrometheus } from '../../../../scripts/test-services/prometheus.ts';
import { catalogOptions, defineCatalog } from './fixtures/catalog.ts';

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(
  prometheus: RunningPrometheus,
  expr: string,
): Promise<{ status: string; data?: { resultType: string; result: Vector[] }; error?: string }> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as { status: string; data?: { resultType: string; result: Vector[] }; error?: string };
}

/** Queries `expr` until `accept` takes its result. */
function queryUntil(
  prometheus: RunningPrometheus,
  expr: string,
  accept: (result: Vector[]) => boolean,
  timeoutMs = 30_000,
): Promise<Vector[]> {
  return eventually(
    async () => {
      const answer = await query(prometheus, expr);
      assert.equal(answer.status, 'success', `${expr}: ${answer.error}`);
      const result = answer.data?.result ?? [];
      assert.ok(accept(result), `${expr} gave ${JSON.stringify(result)}`);
      return result;
    },
    { timeoutMs, intervalMs: 500, message: `${expr} to match` },
  );
}

describe('a real Prometheus scraping a running service with the shipped config', () => {
  let prometheus: RunningPrometheus | undefined;
  let service: RunningService<unknown, unknown> | undefined;
  let skipped = false;

  before(async () => {
    if (process.env.FLOTILLA_TEST_PROMETHEUS_BIN === undefined) {
      if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1')
        throw new Error('FLOTILLA_TEST_PROMETHEUS_BIN is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1');
      skipped = true;
      return;
    }
    service = (await defineCatalog('users').start(catalogOptions('users', {}, captureLogs().stream))) as RunningService<unknown, unknown>;
    const target = new URL(service.httpUrl as string).host;

    // The shipped config, its static targets pointed at the running service, scraped every second.
    const files = shippedPrometheusFiles(() => [{ targets: [target], labels: { service: 'users', namespace: 'test' } }]);
    prometheus = await startPrometheus({ configFile: files.configFile, dir: files.dir });
    // Traffic only once Prometheus has scraped the target: a rate needs samples taken while it flows.
    await queryUntil(prometheus, 'up{job="flotilla-local"}', (r) => r.length === 1 && r[0]?.value[1] === '1');

    const base = service.httpUrl as string;
    const created = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'a1', name: 'one' }),
    });
    assert.equal(created.status, 201);
    // Traffic, mostly 200s, some 404s, a few 500s, until Prometheus has scraped every GET series growing three times.
    let flowing = true;
    const traffic = (async () => {
      for (let i = 0; flowing; i++) {
        const path = i % 10 === 9 ? '/fail' : i % 5 === 4 ? '/items/missing' : '/items/a1';
        await (await fetch(`${base}${path}`)).arrayBuffer();
        await sleep(5);
      }
    })();
    try {
      await queryUntil(
        prometheus,
        'min(changes(http_server_request_duration_seconds_count{service="users", http_request_method="GET"}[1m]))',
        (r) => Number(r[0]?.value[1]) >= 3,
      );
    } finally {
      flowing = false;
      await traffic;
    }
  });

  after(async () => {
    await service?.stop();
    await prometheus?.stop();
  });

  test('the target is up and labelled with its service', async (t) => {
    if (skipped) return t.skip('FLOTILLA_TEST_PROMETHEUS_BIN not set');
    const up = await queryUntil(prometheus!, 'up{job="flotilla-local"}', (r) => r.length === 1 && r[0]?.value[1] === '1');
    assert.equal(up[0]?.metric.service, 'users');
  });

  test('request rate per service and route', async (t) => {
    if (skipped) return t.skip('FLOTILLA_TEST_PROMETHEUS_BIN not set');
    const rate = await queryUntil(
      prometheus!,
      'sum by (service, http_route) (rate(http_server_request_duration_seconds_count{service="users", http_route="/items/:id"}[30s]))',
      (r) => r.length === 1 && Number(r[0]?.value[1]) > 1,
    );
    assert.equal(rate[0]?.metric.http_route, '/items/:id');
    const recorded = await queryUntil(
      prometheus!,
      'service:http_server_requests:rate5m{service="users"}',
      (r) => r.length === 1 && Number(r[0]?.value[1]) > 0,
    );
    assert.ok(Number(recorded[0]?.value[1]) > 0);
  });

  test('p99 through histogram_quantile, and the recorded error ratio', async (t) => {
    if (skipped) return t.skip('FLOTILLA_TEST_PROMETHEUS_BIN not set');
    const p99 = await queryUntil(
      prometheus!,
      'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{service="users", http_route="/items/:id"}[30s])))',
      (r) => r.length === 1 && Number.isFinite(Number(r[0]?.value[1])),
    );
    const seconds = Number(p99[0]?.value[1]);
    assert.ok(seconds > 0 && seconds <= 10, `p99 ${seconds}s is inside the histogram`);
    const recordedP99 = await queryUntil(
      prometheus!,
      'service_route:http_server_request_duration_seconds:p99_5m{service="users", http_route="/items/:id"}',
      (r) => r.length === 1,
    );
    assert.ok(Number(recordedP99[0]?.value[1]) > 0);
    // One request in ten is a 500.
    const ratio = await queryUntil(
      prometheus!,
      'service:http_server_error_ratio:rate5m{service="users"}',
      (r) => r.length === 1 && Number(r[0]?.value[1]) > 0,
    );
    const value = Number(ratio[0]?.value[1]);
    assert.ok(value > 0.05 && value < 0.2, `error ratio ${value}`);
  });

  test('every dashboard query parses and runs', async (t) => {
    if (skipped) return t.skip('FLOTILLA_TEST_PROMETHEUS_BIN not set');
    const dashboard = JSON.parse(readFileSync(join(observabilityDeployDir, 'grafana', 'flotilla-services.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets ?? []) {
        const answer = await query(prometheus!, expr.replaceAll('$__rate_interval', '1m').replaceAll('$service', '.*'));
        assert.equal(answer.status, 'success', `${panel.title}: ${answer.error}`);
      }
    }
  });

  test('stopping the service turns it down and the instance-down alert pending', async (t) => {
    if (skipped) return t.skip('FLOTILLA_TEST_PROMETHEUS_BIN not set');
    await service!.stop();
    await queryUntil(prometheus!, 'up{job="flotilla-local"}', (r) => r[0]?.value[1] === '0');
    const alerts = await queryUntil(prometheus!, 'ALERTS{alertname="FlotillaInstanceDown"}', (r) => r.length === 1);
    assert.equal(alerts[0]?.metric.alertstate, 'pending', 'pending for its 1m `for` before firing');
    assert.equal(alerts[0]?.metric.service, 'users');
  });
});
