/**
 * Sign-in: an API key or a JWT with an admin role, pasted once and sent to
 * `POST /admin/session`. The gateway answers with an HttpOnly session cookie
 * and a CSRF token; the credential itself is kept nowhere (the field is
 * cleared, nothing goes to the URL or to storage).
 */
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api/client.ts';
import type { Session } from '../api/types.ts';

export function LoginPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [credential, setCredential] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await call<Session>('POST', '/admin/session', { body: { credential: credential.trim() }, quiet401: true });
      setCredential('');
      onSignedIn(session);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? `The gateway refused this credential${failure.detail === undefined ? '' : `: ${failure.detail}`}`
          : failure instanceof ApiError
            ? `${failure.message}${failure.detail === undefined ? '' : `: ${failure.detail}`} (${failure.status} ${failure.code})`
            : String(failure),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>Flotilla console</h1>
      <form onSubmit={submit} class="card">
        <h2>Sign in</h2>
        <p class="muted">
          Paste an API key or a JWT that has an admin role. It is sent once to the gateway, which answers with a session cookie; the console
          keeps no copy.
        </p>
        <label for="credential">API key or JWT</label>
        <input
          id="credential"
          name="credential"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={credential}
          onInput={(e) => setCredential(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || credential.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error === undefined ? null : (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
