/**
 * Governance: what protects the upstreams now. Breakers (state and why),
 * bulkheads, rate limits, injected faults (each with a Clear button:
 * `DELETE /admin/faults/{id}`) and the anomalies raised. Refreshed.
 */
import { useState } from 'preact/hooks';
import { call, get, seg } from '../api/client.ts';
import type { Anomaly, Breakers, Fault, Faults, Limits } from '../api/types.ts';
import { ErrorNotice, Loading, StatusNotice } from '../components/notice.tsx';
import { time } from '../format.ts';
import { useResource } from '../hooks/use-resource.ts';

const REFRESH_MS = 3_000;

export function GovernancePage() {
  const breakers = useResource(() => get<Breakers>('/admin/breakers'), [], REFRESH_MS);
  const limits = useResource(() => get<Limits>('/admin/limits'), [], REFRESH_MS);
  const faults = useResource(() => get<Faults>('/admin/faults'), [], REFRESH_MS);
  const anomalies = useResource(() => get<{ service?: string; anomalies: Anomaly[] }>('/admin/anomalies'), [], REFRESH_MS);
  return (
    <>
      <h2>Governance</h2>
      <BreakersSection breakers={breakers.data} error={breakers.error} />
      <LimitsSection limits={limits.data} error={limits.error} />
      <FaultsSection faults={faults.data} error={faults.error} reload={faults.reload} />
      <AnomaliesSection anomalies={anomalies.data?.anomalies} error={anomalies.error} />
    </>
  );
}

function BreakersSection({ breakers, error }: { breakers: Breakers | undefined; error: unknown }) {
  const upstreams = Object.entries(breakers?.upstreams ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      <section aria-labelledby="breakers-heading" class="card">
        <h3 id="breakers-heading">Circuit breakers</h3>
        <ErrorNotice error={error} what="Breakers" />
        {breakers === undefined ? (
          error === undefined ? (
            <Loading what="breakers" />
          ) : null
        ) : upstreams.length === 0 ? (
          <p class="muted">No upstream has been called yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Upstream</th>
                <th scope="col">State</th>
                <th scope="col">Rejecting</th>
                <th scope="col">Reason</th>
                <th scope="col">Since</th>
                <th scope="col">Requests</th>
              </tr>
            </thead>
            <tbody>
              {upstreams.map(([name, snapshot]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  {snapshot.breaker === null ? (
                    <td colSpan={5} class="muted">
                      no breaker
                    </td>
                  ) : (
                    <>
                      <td>
                        <span class={`badge ${snapshot.breaker.state === 'closed' ? 'good' : 'bad'}`}>{snapshot.breaker.state}</span>
                      </td>
                      <td>{(snapshot.breaker.probability * 100).toFixed(1)} %</td>
                      <td>{snapshot.breaker.reason}</td>
                      <td>{time(snapshot.breaker.since)}</td>
                      <td>
                        {snapshot.breaker.requests} ({snapshot.breaker.rejections} rejected)
                      </td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="bulkheads-heading" class="card">
        <h3 id="bulkheads-heading">Bulkheads</h3>
        {upstreams.length === 0 ? (
          <p class="muted">None in use.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Upstream</th>
                <th scope="col">In flight</th>
                <th scope="col">Queued</th>
                <th scope="col">Rejected</th>
              </tr>
            </thead>
            <tbody>
              {upstreams.map(([name, { bulkhead }]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  {bulkhead === null ? (
                    <td colSpan={3} class="muted">
                      no bulkhead
                    </td>
                  ) : (
                    <>
                      <td>
                        {bulkhead.inFlight} / {bulkhead.maxConcurrent}
                      </td>
                      <td>
                        {bulkhead.queued} / {bulkhead.maxQueue}
                      </td>
                      <td>{bulkhead.rejections}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function LimitsSection({ limits, error }: { limits: Limits | undefined; error: unknown }) {
  const routes = Object.entries(limits?.routes ?? {});
  return (
    <section aria-labelledby="limits-heading" class="card">
      <h3 id="limits-heading">Rate limits</h3>
      <ErrorNotice error={error} what="Limits" />
      {limits === undefined ? null : !limits.enabled ? (
        <p class="muted">Rate limiting is off.</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Limit</th>
                <th scope="col">Burst</th>
                <th scope="col">Keyed by</th>
              </tr>
            </thead>
            <tbody>
              {Object.values(limits.policies).map((policy) => (
                <tr key={policy.name}>
                  <th scope="row">
                    {policy.name}
                    {policy.name === limits.defaultPolicy ? ' (default)' : ''}
                  </th>
                  <td>
                    {policy.limit} per {policy.windowSeconds} s
                  </td>
                  <td>{policy.burst}</td>
                  <td>{policy.keyBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {routes.length === 0 ? null : (
            <p>
              Routes with their own policy:{' '}
              {routes.map(([route, policy], i) => (
                <span key={route}>
                  {i > 0 ? ', ' : ''}
                  <code>{route}</code> → {policy}
                </span>
              ))}
            </p>
          )}
        </>
      )}
    </section>
  );
}

function faultTarget(fault: Fault): string {
  const calls = fault.service === undefined ? 'calls' : `${fault.service}'s calls`;
  if (fault.route !== undefined) return `route ${fault.route}`;
  if (fault.upstream === '*') return `${calls} to every upstream`;
  if (fault.upstream !== undefined) return `${calls} to ${fault.upstream}`;
  return '–';
}

function faultEffect(fault: Fault): string {
  if (fault.kind === 'delay') return fault.delayMs === undefined ? 'delay' : `delay ${fault.delayMs} ms`;
  if (fault.status !== undefined) return `abort with HTTP ${fault.status}`;
  if (fault.grpcCode !== undefined) return `abort with gRPC code ${fault.grpcCode}`;
  return 'abort';
}

function faultSource(fault: Fault): string {
  if (fault.source !== 'config-centre') return "the gateway's environment or base files";
  const where =
    fault.document === undefined || fault.document === null ? 'the config centre' : `${fault.namespace ?? ''}/${fault.document}`;
  return `${where}${fault.version === undefined || fault.version === null ? '' : ` v${fault.version}`}${fault.path === undefined ? '' : ` (${fault.path})`}`;
}

function FaultsSection({ faults, error, reload }: { faults: Faults | undefined; error: unknown; reload: () => void }) {
  const [clearing, setClearing] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const clear = async (id: string): Promise<void> => {
    setClearing(id);
    setFailure(undefined);
    setDone(undefined);
    try {
      await call('DELETE', `/admin/faults/${seg(id)}`);
      setDone(`Fault ${id} cleared.`);
      reload();
    } catch (e) {
      setFailure(e);
    } finally {
      setClearing(undefined);
    }
  };
  const list = faults?.faults;
  return (
    <section aria-labelledby="faults-heading" class="card">
      <h3 id="faults-heading">Injected faults</h3>
      <ErrorNotice error={error} what="Faults" />
      <ErrorNotice error={failure} what="Clearing the fault" />
      <StatusNotice text={done} />
      {faults?.header === undefined ? null : (
        <p class="muted">
          The <code>x-flotilla-fault</code> request header is {faults.header.enabled ? 'honoured' : 'ignored'}: {faults.header.reason}
        </p>
      )}
      {list === undefined ? null : list.length === 0 ? (
        <p class="muted">No fault is configured.</p>
      ) : (
        <table aria-label="Configured faults">
          <thead>
            <tr>
              <th scope="col">Fault</th>
              <th scope="col">Applies to</th>
              <th scope="col">Effect</th>
              <th scope="col">Share of calls</th>
              <th scope="col">Set in</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((fault) => (
              <tr key={fault.id}>
                <th scope="row">
                  <code>{fault.id}</code>
                </th>
                <td>{faultTarget(fault)}</td>
                <td>{faultEffect(fault)}</td>
                <td>{fault.percent} %</td>
                <td>{faultSource(fault)}</td>
                <td>
                  {fault.clearable === false ? (
                    <span class="muted">clear it where it is set</span>
                  ) : (
                    <button
                      type="button"
                      onClick={() => void clear(fault.id)}
                      disabled={clearing !== undefined}
                      aria-label={`Clear fault ${fault.id}`}
                    >
                      {clearing === fault.id ? 'Clearing…' : 'Clear'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AnomaliesSection({ anomalies, error }: { anomalies: Anomaly[] | undefined; error: unknown }) {
  return (
    <section aria-labelledby="anomalies-heading" class="card">
      <h3 id="anomalies-heading">Anomalies</h3>
      <ErrorNotice error={error} what="Anomalies" />
      {anomalies === undefined ? null : anomalies.length === 0 ? (
        <p class="muted">None raised.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Since</th>
              <th scope="col">Value</th>
              <th scope="col">Baseline</th>
              <th scope="col">Threshold</th>
            </tr>
          </thead>
          <tbody>
            {anomalies.map((a) => (
              <tr key={`${a.kind} ${a.key}`}>
                <th scope="row">{a.key}</th>
                <td>{a.kind}</td>
                <td>{time(a.since)}</td>
                <td>{a.value.toFixed(3)}</td>
                <td>{a.baseline.toFixed(3)}</td>
                <td>{a.threshold.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
