/**
 * Export a namespace as one JSON file (a plain download of `GET …/export`,
 * which the gateway sends as an attachment) and import such a file into any
 * namespace (`POST …/import`; an invalid document imports nothing).
 */
import { useState } from 'preact/hooks';
import { ApiError, call, seg } from '../../api/client.ts';
import { ErrorNotice, StatusNotice } from '../../components/notice.tsx';
import { SchemaErrors } from './editor.tsx';

export function TransferPanel({ ns, imported }: { ns: string | undefined; imported: (target: string) => void }) {
  const [target, setTarget] = useState('');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [schemaErrors, setSchemaErrors] = useState<ApiError['errors']>([]);
  const [status, setStatus] = useState<string | undefined>(undefined);

  const upload = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    setSchemaErrors([]);
    setStatus(undefined);
    if (file === undefined) return;
    const namespace = target.trim();
    try {
      let body: unknown;
      try {
        body = JSON.parse(await file.text());
      } catch {
        throw new Error(`${file.name} is not a JSON export file`);
      }
      const result = await call<{ imported: string[]; unchanged?: string[] }>('POST', `/admin/config-import/${seg(namespace)}`, { body });
      const unchanged = result.unchanged ?? [];
      setStatus(
        `Imported into ${namespace}: ${result.imported.join(', ') || 'nothing'}${unchanged.length === 0 ? '' : `; already identical: ${unchanged.join(', ')}`}.`,
      );
      imported(namespace);
    } catch (e) {
      if (e instanceof ApiError && e.errors.length > 0) setSchemaErrors(e.errors);
      else setError(e);
    }
  };

  return (
    <section aria-labelledby="transfer-heading" class="card">
      <h3 id="transfer-heading">Export and import</h3>
      {ns === undefined ? null : (
        <p>
          <a href={`/admin/config-export/${seg(ns)}`} download={`flotilla-config-${ns}.json`} class="button">
            Export namespace {ns}
          </a>
        </p>
      )}
      <form class="inline-form" onSubmit={upload}>
        <label for="import-namespace">Import into namespace</label>
        <input
          id="import-namespace"
          type="text"
          required
          pattern="[a-z0-9]([a-z0-9\-]*[a-z0-9])?"
          value={target}
          onInput={(e) => setTarget(e.currentTarget.value)}
        />
        <label for="import-file">Export file</label>
        <input id="import-file" type="file" accept="application/json,.json" onChange={(e) => setFile(e.currentTarget.files?.[0])} />
        <button type="submit" disabled={file === undefined || target.trim() === ''}>
          Import
        </button>
        <SchemaErrors errors={schemaErrors} />
        <ErrorNotice error={error} what="Import" />
        <StatusNotice text={status} />
      </form>
    </section>
  );
}
