/**
 * Traces: the latest traces the gateway and the services kept
 * (`GET /admin/traces`), and one trace as a waterfall: its spans in tree
 * order, each bar placed by start and sized by duration on the trace's own
 * time line. A link to Jaeger when the gateway names one.
 */
import { useState } from 'preact/hooks';
import { get, seg } from '../api/client.ts';
import type { Span, TraceDetail, TraceList } from '../api/types.ts';
import { ErrorNotice, Loading } from '../components/notice.tsx';
import { ms, time } from '../format.ts';
import { useResource } from '../hooks/use-resource.ts';

const LIMIT = 50;
const REFRESH_MS = 5_000;

/** Spans depth-first from the roots, children by start time; spans whose parent is not in the trace count as roots. */
export function treeOrder(spans: Span[]): Array<{ span: Span; depth: number }> {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const span of spans) {
    const parent = span.parentSpanId;
    if (parent === undefined || parent === null || parent === '' || !ids.has(parent)) roots.push(span);
    else children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const byStart = (a: Span, b: Span): number => a.start - b.start;
  const ordered: Array<{ span: Span; depth: number }> = [];
  const visit = (span: Span, depth: number): void => {
    ordered.push({ span, depth });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of roots.sort(byStart)) visit(root, 0);
  return ordered;
}

/** The database a span queried (OpenTelemetry's `db.system.name`, or the older `db.system`), if it is a query. */
function databaseOf(span: Span): string | undefined {
  const system = span.attributes?.['db.system.name'] ?? span.attributes?.['db.system'];
  return typeof system === 'string' ? system : undefined;
}

function failed(status: unknown): boolean {
  if (status === undefined || status === null) return false;
  if (typeof status === 'string') return status.toLowerCase() === 'error';
  const code = (status as { code?: unknown }).code;
  return code === 2 || code === 'ERROR' || code === 'error';
}

export function TracesPage() {
  const list = useResource(() => get<TraceList>(`/admin/traces?limit=${LIMIT}`), [], REFRESH_MS);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const jaeger = list.data?.jaegerUrl ?? null;
  return (
    <>
      <h2>Traces</h2>
      <ErrorNotice error={list.error} what="Traces" />
      {list.data === undefined ? (
        list.error === undefined ? (
          <Loading what="traces" />
        ) : null
      ) : (
        <section aria-labelledby="latest-traces" class="card">
          <h3 id="latest-traces">Latest traces</h3>
          {list.data.traces.length === 0 ? (
            <p class="muted">{list.data.tracing === false ? 'Tracing is off in the gateway: no trace is kept.' : 'No trace kept yet.'}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Trace</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Spans</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {list.data.traces.map((trace) => (
                  <tr key={trace.traceId} aria-current={trace.traceId === selected ? 'true' : undefined}>
                    <th scope="row">
                      <button type="button" class="link" onClick={() => setSelected(trace.traceId)}>
                        {trace.name}
                      </button>{' '}
                      <code class="muted">{trace.traceId.slice(0, 12)}</code>
                    </th>
                    <td>{time(trace.start)}</td>
                    <td>{ms(trace.durationMs)}</td>
                    <td>{trace.spanCount}</td>
                    <td>
                      <span class={`badge ${trace.error ? 'bad' : 'good'}`}>{trace.error ? 'error' : 'ok'}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {selected === undefined ? null : <Waterfall key={selected} traceId={selected} jaegerUrl={jaeger} />}
    </>
  );
}

function Waterfall({ traceId, jaegerUrl }: { traceId: string; jaegerUrl: string | null }) {
  const trace = useResource(() => get<TraceDetail>(`/admin/traces/${seg(traceId)}`), [traceId]);
  const spans = trace.data?.spans ?? [];
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.start + s.durationMs));
  const total = Math.max(end - start, 0.001);
  return (
    <section aria-labelledby="waterfall-heading" class="card">
      <h3 id="waterfall-heading">
        Trace <code>{traceId}</code>
      </h3>
      <p class="actions">
        <button type="button" class="secondary" onClick={trace.reload}>
          Reload spans
        </button>
        {jaegerUrl === null ? null : (
          <a href={`${jaegerUrl.replace(/\/$/, '')}/trace/${traceId}`} target="_blank" rel="noopener noreferrer">
            Open in Jaeger
          </a>
        )}
      </p>
      <ErrorNotice error={trace.error} what="Trace" />
      {trace.data === undefined ? (
        trace.error === undefined ? (
          <Loading what="the trace" />
        ) : null
      ) : (
        <>
          <p class="muted">
            {spans.length} spans over {ms(total)} across {[...new Set(spans.map((s) => s.service))].join(', ')}
          </p>
          {(trace.data.sources ?? [])
            .filter((source) => source.error !== undefined)
            .map((source) => (
              <p key={`${source.service} ${source.instance}`} class="notice error">
                No spans from {source.service} ({source.instance}): {source.error}
              </p>
            ))}
          <ol class="waterfall" aria-label="Spans">
            {treeOrder(spans).map(({ span, depth }) => {
              const database = databaseOf(span);
              return (
                <li
                  key={span.spanId}
                  class={failed(span.status) ? 'span-error' : undefined}
                  data-service={span.service}
                  data-database={database}
                >
                  <span class="span-label" style={{ paddingLeft: `${depth * 14}px` }}>
                    <span class="span-service">{span.service}</span> {span.name}
                    {database === undefined ? null : <span class="badge span-db">{database}</span>}
                  </span>
                  <span class="span-track" aria-hidden="true">
                    <span
                      class="span-bar"
                      style={{
                        left: `${((span.start - start) / total) * 100}%`,
                        width: `${Math.max((span.durationMs / total) * 100, 0.5)}%`,
                      }}
                    />
                  </span>
                  <span class="span-duration">{ms(span.durationMs)}</span>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}
