/**
 * The shipped deploy/observability files pass their own tools' checks
 * (promtool check config / check rules / test rules) and hang together: the
 * dashboard's queries name metrics the kit exports (or that the governance
 * issue will), the collector's pipeline names components it defines.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { observabilityDeployDir, scratchDir } from '@flotilla/testing';
import { run, toolPath } from './prometheus-tools.ts';

const PROMETHEUS_DIR = join(observabilityDeployDir, 'prometheus');

/** Metrics the kit exports today, and those named for the governance issue (breakers, rate limits). */
const KNOWN_METRICS = [
  /^http_server_(request_duration_seconds_(bucket|count|sum)|active_requests)$/,
  /^http_client_request_duration_seconds_(bucket|count|sum)$/, // the gateway's upstream calls
  /^rpc_(server|client)_duration_seconds_(bucket|count|sum)$/,
  /^db_client_(operation_duration_seconds_(bucket|count|sum)|connection_count|connection_pending_requests)$/,
  /^flotilla_(service_info|anomaly_active|breaker_state|rate_limit_decisions_total)$/,
  /^(process_cpu_seconds_total|nodejs_eventloop_lag_p99_seconds|nodejs_heap_size_used_bytes|nodejs_gc_duration_seconds_sum|nodejs_active_handles_total|up)$/,
];

describe('Prometheus files', () => {
  test('promtool check config accepts the local scrape config', async (t) => {
    const promtool = toolPath('FLOTILLA_TEST_PROMTOOL_BIN', t);
    if (promtool === undefined) return;
    const result = await run(promtool, ['check', 'config', 'prometheus.yml'], PROMETHEUS_DIR);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS: 2 rule files found/);
  });

  test('promtool check rules accepts the recording and alert rules', async (t) => {
    const promtool = toolPath('FLOTILLA_TEST_PROMTOOL_BIN', t);
    if (promtool === undefined) return;
    const result = await run(promtool, ['check', 'rules', 'rules/recording.yml', 'rules/alerts.yml'], PROMETHEUS_DIR);
    assert.equal(result.code, 0, result.output);
  });

  test('promtool test rules: instance down, error ratio, breaker open and anomaly alerts fire on their inputs', async (t) => {
    const promtool = toolPath('FLOTILLA_TEST_PROMTOOL_BIN', t);
    if (promtool === undefined) return;
    const result = await run(promtool, ['test', 'rules', 'rules/alerts.test.yml'], PROMETHEUS_DIR);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  test('the Kubernetes scrape config is valid (its SD block checked natively when promtool has Kubernetes SD)', async (t) => {
    const promtool = toolPath('FLOTILLA_TEST_PROMTOOL_BIN', t);
    if (promtool === undefined) return;
    const text = readFileSync(join(PROMETHEUS_DIR, 'prometheus-kubernetes.yml'), 'utf8');
    const config = parse(text) as {
      scrape_configs: Array<{
        job_name: string;
        kubernetes_sd_configs?: Array<{ role: string }>;
        relabel_configs: Array<Record<string, unknown>>;
      }>;
    };
    const job = config.scrape_configs.find((c) => c.job_name === 'flotilla-kubernetes');
    assert.ok(job, 'the flotilla-kubernetes job exists');
    assert.deepEqual(job.kubernetes_sd_configs, [{ role: 'endpoints' }]);
    assert.ok(job.relabel_configs.some((r) => r.action === 'keep' && r.regex === 'flotilla-operator'));
    assert.ok(job.relabel_configs.some((r) => r.target_label === 'service'));

    const dir = scratchDir('promtool');
    cpSync(join(PROMETHEUS_DIR, 'rules'), join(dir, 'rules'), { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), text);
    const native = await run(promtool, ['check', 'config', 'prometheus.yml'], dir);
    if (native.code === 0) return;
    // Debian's Prometheus is built without Kubernetes discovery: check everything else.
    assert.match(native.output, /field kubernetes_sd_configs not found/, native.output);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      text.replace(/kubernetes_sd_configs:\n\s+- role: endpoints/, "static_configs:\n      - targets: ['127.0.0.1:1']"),
    );
    const rest = await run(promtool, ['check', 'config', 'prometheus.yml'], dir);
    assert.equal(rest.code, 0, rest.output);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(observabilityDeployDir, 'grafana', 'flotilla-services.json'), 'utf8')) as {
    uid: string;
    panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string }> };
  };

  test('covers RED, gRPC, database, breakers, limits, anomalies and runtime, per service', () => {
    assert.equal(dashboard.uid, 'flotilla-services');
    assert.deepEqual(
      dashboard.templating.list.map((v) => v.name),
      ['datasource', 'service'],
    );
    const titles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const needed of [
      'Requests per second',
      'Error ratio',
      'p99 latency',
      'gRPC server',
      'Database',
      'Circuit breakers',
      'Rate-limit',
      'anomalies',
      'Event-loop',
      'Heap',
    ]) {
      assert.ok(titles.includes(needed), `a panel about ${needed}`);
    }
  });

  test('every query names known metrics and filters by the service variable', () => {
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has queries`);
      for (const { expr } of panel.targets ?? []) {
        assert.match(expr, /service=~"\$service"/, `${panel.title}: ${expr}`);
        const metrics = [...expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1] as string);
        assert.ok(metrics.length > 0, expr);
        for (const metric of metrics)
          assert.ok(
            KNOWN_METRICS.some((known) => known.test(metric)),
            `${panel.title}: unknown metric ${metric}`,
          );
      }
    }
  });
});

describe('OpenTelemetry Collector and logging pipeline', () => {
  test('the collector pipeline uses only components it defines, OTLP in and out', () => {
    const config = parse(readFileSync(join(observabilityDeployDir, 'otel-collector', 'otel-collector.yaml'), 'utf8')) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, unknown>;
      extensions: Record<string, unknown>;
      service: {
        extensions: string[];
        pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
      };
    };
    const traces = config.service.pipelines.traces;
    assert.ok(traces);
    assert.deepEqual(traces.receivers, ['otlp']);
    for (const name of traces.receivers) assert.ok(name in config.receivers, name);
    for (const name of traces.processors) assert.ok(name in config.processors, name);
    for (const name of traces.exporters) assert.ok(name in config.exporters, name);
    for (const name of config.service.extensions) assert.ok(name in config.extensions, name);
    assert.ok(
      traces.exporters.every((e) => e.startsWith('otlp')),
      'OTLP out',
    );
    assert.equal(traces.processors[0], 'memory_limiter', 'the memory limiter runs first');
  });

  test('Filebeat ships to Logstash, which routes ECS lines into per-service data streams', () => {
    const filebeat = parse(readFileSync(join(observabilityDeployDir, 'logging', 'filebeat', 'filebeat.yml'), 'utf8')) as {
      'filebeat.inputs': Array<{ id: string }>;
      'output.logstash': { hosts: string[] };
    };
    assert.deepEqual(
      filebeat['filebeat.inputs'].map((i) => i.id),
      ['flotilla-files', 'flotilla-containers'],
    );
    assert.match(filebeat['output.logstash'].hosts[0] ?? '', /5044/);
    const logstash = readFileSync(join(observabilityDeployDir, 'logging', 'logstash', 'flotilla.conf'), 'utf8');
    assert.match(logstash, /beats \{\s*port => 5044/);
    assert.match(logstash, /"\[data_stream\]\[dataset\]" => "flotilla\.%\{\[service\]\[name\]\}"/);
    assert.match(logstash, /data_stream => "true"/);
  });
});
