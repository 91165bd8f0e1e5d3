import { ApiError } from '../api/client.ts';

/** Why something failed, read out to screen readers as it appears. */
export function ErrorNotice({ error, what }: { error: unknown; what?: string }) {
  if (error === undefined || error === null) return null;
  const text =
    error instanceof ApiError
      ? `${error.message}${error.detail === undefined ? '' : `: ${error.detail}`} (${error.status === 0 ? error.code : `${error.status} ${error.code}`})`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <p class="notice error" role="alert">
      {what === undefined ? '' : `${what}: `}
      {text}
    </p>
  );
}

/** A quiet status line ("Saved as version 4"). */
export function StatusNotice({ text }: { text: string | undefined }) {
  return (
    <p class="notice ok" role="status" aria-live="polite">
      {text ?? ''}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}
