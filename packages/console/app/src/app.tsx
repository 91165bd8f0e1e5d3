/**
 * The console's shell: asks the gateway whether a session exists
 * (`GET /admin/session`), shows sign-in until one does, then the pages,
 * chosen by the URL's fragment (`#/traffic`) so that the gateway serves one
 * index.html for all of them.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, setCsrfToken, whenUnauthenticated } from './api/client.ts';
import type { Session } from './api/types.ts';
import { ErrorNotice } from './components/notice.tsx';
import { ApiExplorerPage } from './pages/api-explorer.tsx';
import { ConfigPage } from './pages/config/config-page.tsx';
import { GovernancePage } from './pages/governance.tsx';
import { LoginPage } from './pages/login.tsx';
import { LogsPage } from './pages/logs.tsx';
import { TopologyPage } from './pages/topology.tsx';
import { TracesPage } from './pages/traces.tsx';
import { TrafficPage } from './pages/traffic.tsx';

const PAGES = [
  { path: 'topology', title: 'Topology', view: TopologyPage },
  { path: 'traffic', title: 'Traffic', view: TrafficPage },
  { path: 'governance', title: 'Governance', view: GovernancePage },
  { path: 'config', title: 'Config centre', view: ConfigPage },
  { path: 'api', title: 'API explorer', view: ApiExplorerPage },
  { path: 'traces', title: 'Traces', view: TracesPage },
  { path: 'logs', title: 'Logs', view: LogsPage },
] as const;

function currentPath(): string {
  const path = location.hash.replace(/^#\/?/, '');
  return PAGES.some((p) => p.path === path) ? path : 'topology';
}

type SessionState = { kind: 'checking' } | { kind: 'signed-out'; error?: unknown } | { kind: 'signed-in'; session: Session };

export function App() {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const [path, setPath] = useState(currentPath);

  const signedIn = (session: Session): void => {
    setCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  };
  const signedOut = (error?: unknown): void => {
    setCsrfToken(undefined);
    setState({ kind: 'signed-out', ...(error === undefined ? {} : { error }) });
  };

  useEffect(() => {
    whenUnauthenticated(() => signedOut());
    call<Session>('GET', '/admin/session', { quiet401: true }).then(signedIn, (error: unknown) =>
      signedOut(error instanceof ApiError && error.status === 401 ? undefined : error),
    );
    const follow = (): void => setPath(currentPath());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);

  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  useEffect(() => {
    document.title = state.kind === 'signed-in' ? `${page.title} · Flotilla console` : 'Flotilla console';
  }, [page, state.kind]);

  if (state.kind === 'checking') return <p class="muted">Loading…</p>;
  if (state.kind === 'signed-out')
    return (
      <>
        <ErrorNotice error={state.error} what="The gateway" />
        <LoginPage onSignedIn={signedIn} />
      </>
    );

  const signOut = async (): Promise<void> => {
    try {
      await call('DELETE', '/admin/session');
    } finally {
      signedOut();
    }
  };
  const View = page.view;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <h1>Flotilla console</h1>
        <p class="who">
          Signed in as <strong>{state.session.subject}</strong>
        </p>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.path}>
              <a href={`#/${p.path}`} aria-current={p.path === page.path ? 'page' : undefined}>
                {p.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <View key={page.path} />
      </main>
    </>
  );
}
