/**
 * Logs: the log level of every service and instance
 * (`GET /admin/log-levels`), changed for all instances of a service at once
 * (`PUT /admin/log-levels/{service}`), applied without a restart.
 */
import { useState } from 'preact/hooks';
import { call, get, seg } from '../api/client.ts';
import type { LogLevels } from '../api/types.ts';
import { ErrorNotice, Loading, StatusNotice } from '../components/notice.tsx';
import { useResource } from '../hooks/use-resource.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const REFRESH_MS = 5_000;

export function LogsPage() {
  const levels = useResource(() => get<LogLevels>('/admin/log-levels'), [], REFRESH_MS);
  return (
    <>
      <h2>Logs</h2>
      <ErrorNotice error={levels.error} what="Log levels" />
      {levels.data === undefined ? (
        levels.error === undefined ? (
          <Loading what="log levels" />
        ) : null
      ) : (
        <section aria-labelledby="levels-heading" class="card">
          <h3 id="levels-heading">Log level per service</h3>
          {levels.data.services.map((entry) => (
            <ServiceLevel key={entry.service} entry={entry} changed={levels.reload} />
          ))}
        </section>
      )}
    </>
  );
}

function ServiceLevel({ entry, changed }: { entry: LogLevels['services'][number]; changed: () => void }) {
  const current = entry.instances.find((i) => i.level !== null)?.level ?? 'info';
  const [level, setLevel] = useState(current);
  const [error, setError] = useState<unknown>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const id = `level-${entry.service}`;
  const apply = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    setStatus(undefined);
    try {
      await call('PUT', `/admin/log-levels/${seg(entry.service)}`, { body: { level } });
      setStatus(`${entry.service} now logs at ${level}.`);
      changed();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form class="service-level" onSubmit={apply} aria-labelledby={`${id}-heading`}>
      <h4 id={`${id}-heading`}>{entry.service}</h4>
      <table>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Address</th>
            <th scope="col">Level</th>
          </tr>
        </thead>
        <tbody>
          {entry.instances.map((instance) => (
            <tr key={instance.id}>
              <th scope="row">
                <code>{instance.id}</code>
              </th>
              <td>{instance.address}</td>
              <td>{instance.level ?? <span class="muted">unknown: {instance.error ?? 'not answering'}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <label for={id}>New level for every {entry.service} instance</label>
      <select id={id} value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
        {LEVELS.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
      <button type="submit">Set level</button>
      <ErrorNotice error={error} />
      <StatusNotice text={status} />
    </form>
  );
}
