/**
 * API explorer: the gateway's merged OpenAPI document (`/openapi.json`),
 * its operations grouped by tag, each with a "try it" form that sends the
 * request through the gateway from this page; and the gRPC services each
 * instance offers (`GET /admin/grpc-services`, from server reflection).
 */
import { useState } from 'preact/hooks';
import { csrfHeaders, get } from '../api/client.ts';
import type { GrpcServices } from '../api/types.ts';
import { ErrorNotice, Loading } from '../components/notice.tsx';
import { useResource } from '../hooks/use-resource.ts';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: { type?: string; example?: unknown; default?: unknown };
}

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { example?: unknown; schema?: unknown }> };
}

interface OpenApi {
  info?: { title?: string; version?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: { parameters?: Record<string, Parameter> };
}

interface Listed {
  method: string;
  path: string;
  operation: Operation;
  parameters: Parameter[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function operationsByTag(document: OpenApi): Map<string, Listed[]> {
  const groups = new Map<string, Listed[]>();
  const resolve = (p: Parameter | { $ref: string }): Parameter | undefined =>
    '$ref' in p ? document.components?.parameters?.[p.$ref.split('/').pop() ?? ''] : p;
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const shared = ((item.parameters as Operation['parameters']) ?? []).map(resolve).filter((p) => p !== undefined);
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (operation === undefined) continue;
      const own = (operation.parameters ?? []).map(resolve).filter((p) => p !== undefined);
      const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      for (const tag of operation.tags?.length ? operation.tags : ['untagged']) {
        const list = groups.get(tag) ?? [];
        list.push({ method: method.toUpperCase(), path, operation, parameters });
        groups.set(tag, list);
      }
    }
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function ApiExplorerPage() {
  const openapi = useResource(() => get<OpenApi>('/openapi.json'), []);
  const grpc = useResource(() => get<GrpcServices>('/admin/grpc-services'), []);
  const groups = openapi.data === undefined ? undefined : operationsByTag(openapi.data);
  return (
    <>
      <h2>API explorer</h2>
      <section aria-labelledby="rest-heading" class="card">
        <h3 id="rest-heading">
          REST{openapi.data?.info?.title === undefined ? '' : `: ${openapi.data.info.title} ${openapi.data.info.version ?? ''}`}
        </h3>
        <ErrorNotice error={openapi.error} what="OpenAPI document" />
        {groups === undefined ? (
          openapi.error === undefined ? (
            <Loading what="the OpenAPI document" />
          ) : null
        ) : (
          [...groups.entries()].map(([tag, operations]) => (
            <section key={tag} aria-labelledby={`tag-${tag}`} class="tag-group">
              <h4 id={`tag-${tag}`}>{tag}</h4>
              {operations.map((op) => (
                <OperationView key={`${op.method} ${op.path}`} listed={op} />
              ))}
            </section>
          ))
        )}
      </section>
      <section aria-labelledby="grpc-heading" class="card">
        <h3 id="grpc-heading">gRPC services</h3>
        <ErrorNotice error={grpc.error} what="gRPC services" />
        {grpc.data === undefined ? null : (
          <table>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Instance</th>
                <th scope="col">gRPC services</th>
              </tr>
            </thead>
            <tbody>
              {grpc.data.services.map((s) => (
                <tr key={`${s.service} ${s.instance}`}>
                  <th scope="row">{s.service}</th>
                  <td>
                    {s.instance}
                    {s.address === undefined ? '' : ` (${s.address})`}
                  </td>
                  <td>
                    {s.error === undefined ? null : <span class="notice error">{s.error}</span>}
                    <ul class="plain">
                      {s.grpcServices.map((name) => (
                        <li key={name}>
                          <code>{name}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

interface Answer {
  status: number;
  statusText: string;
  contentType: string;
  body: string;
}

function OperationView({ listed }: { listed: Listed }) {
  const { method, path, operation, parameters } = listed;
  const id = `op-${method}-${path}`.replace(/[^A-Za-z0-9-]/g, '_');
  const hasBody = operation.requestBody !== undefined;
  const example = operation.requestBody?.content?.['application/json']?.example;
  const [values, setValues] = useState<Record<string, string>>({});
  const [body, setBody] = useState(example === undefined ? '' : JSON.stringify(example, null, 2));
  const [authorization, setAuthorization] = useState('');
  const [answer, setAnswer] = useState<Answer | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const send = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      let url = path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[`path:${name}`] ?? ''));
      const query = new URLSearchParams();
      // Only the admin API takes the session (its cookie is scoped to /admin): the token goes nowhere else.
      const headers: Record<string, string> = { accept: 'application/json', ...(url.startsWith('/admin/') ? csrfHeaders(method) : {}) };
      for (const p of parameters) {
        const value = values[`${p.in}:${p.name}`];
        if (value === undefined || value === '') continue;
        if (p.in === 'query') query.set(p.name, value);
        if (p.in === 'header') headers[p.name] = value;
      }
      if (query.size > 0) url += `?${query}`;
      if (authorization.trim() !== '') headers.authorization = authorization.trim();
      if (hasBody && body.trim() !== '') headers['content-type'] = 'application/json';
      const response = await fetch(url, {
        method,
        headers,
        credentials: 'same-origin',
        ...(hasBody && body.trim() !== '' ? { body } : {}),
      });
      const text = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      let shown = text;
      if (contentType.includes('json')) {
        try {
          shown = JSON.stringify(JSON.parse(text), null, 2);
        } catch {
          // shown as sent
        }
      }
      setAnswer({ status: response.status, statusText: response.statusText, contentType, body: shown });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="operation">
      <summary>
        <span class={`method method-${method.toLowerCase()}`}>{method}</span> <code>{path}</code>
        {operation.summary === undefined ? '' : ` — ${operation.summary}`}
      </summary>
      {operation.description === undefined ? null : <p>{operation.description}</p>}
      <form onSubmit={send} aria-label={`Try ${method} ${path}`}>
        {parameters
          .filter((p) => p.in !== 'cookie')
          .map((p) => {
            const field = `${id}-${p.in}-${p.name}`;
            return (
              <div key={field} class="field">
                <label for={field}>
                  {p.name}{' '}
                  <span class="muted">
                    ({p.in}
                    {p.required ? ', required' : ''})
                  </span>
                </label>
                <input
                  id={field}
                  type="text"
                  required={p.required === true}
                  value={values[`${p.in}:${p.name}`] ?? ''}
                  onInput={(e) => setValues({ ...values, [`${p.in}:${p.name}`]: e.currentTarget.value })}
                />
              </div>
            );
          })}
        {hasBody ? (
          <div class="field">
            <label for={`${id}-body`}>Request body (JSON)</label>
            <textarea id={`${id}-body`} rows={6} spellcheck={false} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          </div>
        ) : null}
        <div class="field">
          <label for={`${id}-authorization`}>
            Authorization header <span class="muted">(optional)</span>
          </label>
          <input
            id={`${id}-authorization`}
            type="password"
            autocomplete="off"
            value={authorization}
            onInput={(e) => setAuthorization(e.currentTarget.value)}
          />
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      <ErrorNotice error={error} />
      {answer === undefined ? null : (
        <div class="answer" role="status">
          <p>
            <strong>
              {answer.status} {answer.statusText}
            </strong>{' '}
            <span class="muted">{answer.contentType}</span>
          </p>
          <pre>{answer.body}</pre>
        </div>
      )}
    </details>
  );
}
