/**
 * The document editor: JSON in a text area, Validate (`POST …/validate`),
 * then Apply (`PUT …` with the version it was read at, so a change made
 * meanwhile is refused rather than overwritten). Apply stays off until the
 * text as it is now has validated; schema errors are listed by path.
 */
import { useState } from 'preact/hooks';
import { ApiError, call } from '../../api/client.ts';
import type { ConfigDocument, SchemaError, Validation } from '../../api/types.ts';
import { ErrorNotice, StatusNotice } from '../../components/notice.tsx';

function parse(text: string): { document: unknown } | { error: SchemaError } {
  try {
    return { document: JSON.parse(text) };
  } catch (error) {
    return { error: { path: '', message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` } };
  }
}

export function SchemaErrors({ errors }: { errors: SchemaError[] }) {
  if (errors.length === 0) return null;
  return (
    <div class="notice error" role="alert">
      <p>The document is invalid; nothing was changed:</p>
      <ul aria-label="Schema errors">
        {errors.map((e) => (
          <li key={`${e.path} ${e.message}`}>
            <code>{e.path === '' ? '(document)' : e.path}</code> {e.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function DocumentEditor({ base, current, changed }: { base: string; current: ConfigDocument; changed: (news: string) => void }) {
  const [text, setText] = useState(() => JSON.stringify(current.document, null, 2));
  const [message, setMessage] = useState('');
  const [validText, setValidText] = useState<string | undefined>(undefined);
  const [errors, setErrors] = useState<SchemaError[]>([]);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const begin = (): void => {
    setBusy(true);
    setErrors([]);
    setFailure(undefined);
    setStatus(undefined);
  };

  const validate = async (): Promise<void> => {
    begin();
    const parsed = parse(text);
    try {
      if ('error' in parsed) {
        setErrors([parsed.error]);
        return;
      }
      const result = await call<Validation>('POST', `${base}/validate`, { body: { document: parsed.document } });
      if (result.valid) {
        setValidText(text);
        setStatus('Valid: it can be applied.');
      } else {
        setErrors(result.errors ?? [{ path: '', message: 'invalid' }]);
      }
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const apply = async (): Promise<void> => {
    const parsed = parse(text);
    if ('error' in parsed) return;
    begin();
    try {
      const result = await call<{ version: number }>('PUT', base, {
        body: { document: parsed.document, message, expectedVersion: current.version },
      });
      changed(`Applied as version ${result.version}.`);
    } catch (error) {
      if (error instanceof ApiError && error.errors.length > 0) setErrors(error.errors);
      else if (error instanceof ApiError && error.status === 409)
        setFailure(new Error(`Changed by someone else since version ${current.version} was read; reload the page to edit the new head.`));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const canApply = validText !== undefined && validText === text && !busy;
  return (
    <form
      class="editor"
      onSubmit={(e) => {
        e.preventDefault();
        void apply();
      }}
    >
      <label for="config-document">Document (JSON)</label>
      <textarea
        id="config-document"
        rows={22}
        spellcheck={false}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setStatus(undefined);
        }}
      />
      <label for="config-message">Change message</label>
      <input id="config-message" type="text" value={message} onInput={(e) => setMessage(e.currentTarget.value)} placeholder="why" />
      <div class="actions">
        <button type="button" onClick={() => void validate()} disabled={busy}>
          Validate
        </button>
        <button type="submit" disabled={!canApply}>
          Apply
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setText(JSON.stringify(current.document, null, 2));
            setErrors([]);
            setStatus(undefined);
          }}
        >
          Revert edits
        </button>
      </div>
      <SchemaErrors errors={errors} />
      <ErrorNotice error={failure} />
      <StatusNotice text={status} />
      {current.schema === null || current.schema === undefined ? (
        <p class="muted">This service published no schema; the centre checks syntax only.</p>
      ) : null}
    </form>
  );
}
