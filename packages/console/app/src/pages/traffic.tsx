/**
 * Traffic: rate, error rate, p50 and p99 per route and per upstream, each
 * with a sparkline over the last 15 minutes. `GET /admin/traffic` fills the
 * window, then `GET /admin/traffic/stream` (server-sent events, one `sample`
 * every interval) adds a point per series; points older than the window drop.
 * With Prometheus configured on the gateway the window comes from there.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api/client.ts';
import type { Traffic, TrafficPoint, TrafficSample, TrafficSeries } from '../api/types.ts';
import { ErrorNotice, Loading } from '../components/notice.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import { latency, percent, rate } from '../format.ts';

type Metric = 'rate' | 'errorRate' | 'p50' | 'p99';

const METRICS: Array<{ key: Metric; title: string; show: (v: number | null) => string }> = [
  { key: 'rate', title: 'Rate', show: (v) => rate(v ?? 0) },
  { key: 'errorRate', title: 'Error rate', show: (v) => percent(v ?? 0) },
  { key: 'p50', title: 'p50', show: latency },
  { key: 'p99', title: 'p99', show: latency },
];

export function addSample(series: TrafficSeries[], sample: TrafficSample, windowMs: number): TrafficSeries[] {
  const oldest = sample.t - windowMs;
  const next = new Map(series.map((s) => [`${s.kind} ${s.key}`, { ...s, points: s.points.filter((p) => p.t >= oldest) }]));
  for (const entry of sample.entries) {
    const id = `${entry.kind} ${entry.key}`;
    const point: TrafficPoint = { t: sample.t, rate: entry.rate, errorRate: entry.errorRate, p50: entry.p50, p99: entry.p99 };
    const found = next.get(id);
    if (found === undefined) next.set(id, { key: entry.key, kind: entry.kind, points: [point] });
    else found.points.push(point);
  }
  return [...next.values()];
}

export function TrafficPage() {
  const [traffic, setTraffic] = useState<Traffic | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [live, setLive] = useState<'connecting' | 'live' | 'interrupted'>('connecting');

  useEffect(() => {
    let stream: EventSource | undefined;
    let closed = false;
    void get<Traffic>('/admin/traffic').then(
      (initial) => {
        if (closed) return;
        setTraffic(initial);
        stream = new EventSource('/admin/traffic/stream');
        stream.addEventListener('open', () => setLive('live'));
        stream.addEventListener('error', () => setLive('interrupted'));
        stream.addEventListener('sample', (event) => {
          const sample = JSON.parse((event as MessageEvent<string>).data) as TrafficSample;
          setLive('live');
          setTraffic((current) =>
            current === undefined ? current : { ...current, series: addSample(current.series, sample, current.windowSeconds * 1000) },
          );
        });
      },
      (failure: unknown) => {
        if (!closed) setError(failure instanceof ApiError ? failure : new Error(String(failure)));
      },
    );
    return () => {
      closed = true;
      stream?.close();
    };
  }, []);

  if (traffic === undefined) {
    return (
      <>
        <h2>Traffic</h2>
        <ErrorNotice error={error} what="Traffic" />
        {error === undefined ? <Loading what="traffic" /> : null}
      </>
    );
  }
  const to = Math.max(Date.now(), ...traffic.series.flatMap((s) => s.points.map((p) => p.t)));
  const from = to - traffic.windowSeconds * 1000;
  const minutes = Math.round(traffic.windowSeconds / 60);
  return (
    <>
      <h2>Traffic</h2>
      <p class="muted" role="status">
        {live === 'live'
          ? `Live: a sample every ${traffic.intervalSeconds} s, ${minutes} minutes shown.`
          : live === 'connecting'
            ? 'Connecting to the live stream…'
            : 'The live stream was interrupted; reconnecting…'}{' '}
        {traffic.source === 'prometheus'
          ? 'History from Prometheus (every gateway instance); live points from this gateway.'
          : 'From this gateway process.'}
      </p>
      {traffic.warning === undefined ? null : <p class="muted">{traffic.warning}; showing this process's own figures.</p>}
      {(['route', 'upstream'] as const).map((kind) => {
        const rows = traffic.series.filter((s) => s.kind === kind).sort((a, b) => a.key.localeCompare(b.key));
        return (
          <section key={kind} aria-labelledby={`traffic-${kind}`} class="card">
            <h3 id={`traffic-${kind}`}>{kind === 'route' ? 'Routes' : 'Upstreams'}</h3>
            {rows.length === 0 ? (
              <p class="muted">No traffic yet.</p>
            ) : (
              <table class="traffic">
                <thead>
                  <tr>
                    <th scope="col">{kind === 'route' ? 'Route' : 'Upstream'}</th>
                    {METRICS.map((m) => (
                      <th scope="col" key={m.key}>
                        {m.title}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((series) => {
                    const last = series.points.at(-1);
                    return (
                      <tr key={series.key} data-key={series.key}>
                        <th scope="row">
                          <code>{series.key}</code>
                        </th>
                        {METRICS.map((m) => (
                          <td key={m.key} data-metric={m.key}>
                            <span class="value">{last === undefined ? '–' : m.show(last[m.key])}</span>
                            <Sparkline
                              points={series.points.map((p) => ({ t: p.t, v: p[m.key] ?? Number.NaN }))}
                              from={from}
                              to={to}
                              label={`${m.title} of ${series.key} over ${minutes} minutes`}
                            />
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </>
  );
}
