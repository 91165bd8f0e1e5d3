/** The history of one document: its versions, a diff between any two, and a rollback to any earlier one. */
import { useState } from 'preact/hooks';
import { call, get } from '../../api/client.ts';
import type { HistoryEntry } from '../../api/types.ts';
import { ErrorNotice } from '../../components/notice.tsx';
import { time } from '../../format.ts';

export function HistoryTable({ entries }: { entries: HistoryEntry[] }) {
  if (entries.length === 0) return <p class="muted">No versions yet.</p>;
  return (
    <table aria-label="Versions">
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">When</th>
          <th scope="col">Author</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.version}>
            <th scope="row">{entry.version}</th>
            <td>{time(entry.at)}</td>
            <td>{entry.author}</td>
            <td>
              {entry.message}
              {entry.rollbackOf === undefined ? '' : <span class="muted"> (restores version {entry.rollbackOf})</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function VersionSelect({
  id,
  label,
  value,
  entries,
  set,
}: {
  id: string;
  label: string;
  value: string;
  entries: HistoryEntry[];
  set: (v: string) => void;
}) {
  return (
    <>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => set(e.currentTarget.value)}>
        {entries.map((entry) => (
          <option key={entry.version} value={String(entry.version)}>
            {entry.version}
          </option>
        ))}
      </select>
    </>
  );
}

/** One line of a unified diff, marked for colour and for screen readers. */
function DiffLine({ line }: { line: string }) {
  const kind = line.startsWith('@@')
    ? 'hunk'
    : line.startsWith('+++') || line.startsWith('---')
      ? 'file'
      : line.startsWith('+')
        ? 'add'
        : line.startsWith('-')
          ? 'del'
          : 'same';
  return <span class={`diff-${kind}`}>{`${line}\n`}</span>;
}

export function DiffPanel({ base, entries }: { base: string; entries: HistoryEntry[] }) {
  const [from, setFrom] = useState(String(entries[1]?.version ?? entries[0]?.version ?? ''));
  const [to, setTo] = useState(String(entries[0]?.version ?? ''));
  const [diff, setDiff] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  if (entries.length === 0) return null;
  const show = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      const result = await get<{ unified: string }>(`${base}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      setDiff(result.unified);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form class="inline-form" onSubmit={show} aria-labelledby="diff-heading">
      <h4 id="diff-heading">Compare versions</h4>
      <VersionSelect id="diff-from" label="From version" value={from} entries={entries} set={setFrom} />
      <VersionSelect id="diff-to" label="To version" value={to} entries={entries} set={setTo} />
      <button type="submit">Show diff</button>
      <ErrorNotice error={error} what="Diff" />
      {diff === undefined ? null : diff.trim() === '' ? (
        <p class="muted">The two versions are identical.</p>
      ) : (
        <figure>
          <figcaption>
            Diff from version {from} to version {to}
          </figcaption>
          <pre class="diff">
            {diff.split('\n').map((line, i) => (
              <DiffLine key={i} line={line} />
            ))}
          </pre>
        </figure>
      )}
    </form>
  );
}

export function RollbackForm({ base, entries, changed }: { base: string; entries: HistoryEntry[]; changed: (news: string) => void }) {
  const earlier = entries.slice(1);
  const [version, setVersion] = useState(String(earlier[0]?.version ?? ''));
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  if (earlier.length === 0) return null;
  const rollback = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      const result = await call<{ version: number }>('POST', `${base}/rollback`, {
        body: { version: Number(version), message: message === '' ? `roll back to version ${version}` : message },
      });
      changed(`Rolled back: version ${result.version} has the content of version ${version}.`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form class="inline-form" onSubmit={rollback} aria-labelledby="rollback-heading">
      <h4 id="rollback-heading">Roll back</h4>
      <VersionSelect id="rollback-version" label="To version" value={version} entries={earlier} set={setVersion} />
      <label for="rollback-message">Message</label>
      <input id="rollback-message" type="text" value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
      <button type="submit">Roll back</button>
      <ErrorNotice error={error} what="Rollback" />
    </form>
  );
}
