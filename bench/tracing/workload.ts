/**
 * The traced request both pipelines are measured on: a SERVER span with ten
 * attributes (OpenTelemetry HTTP semantic conventions: eight given at start,
 * as instrumentations pass them to the sampler, route and status set later)
 * and one CLIENT child span with five, made through the OpenTelemetry API
 * with explicit contexts, so no context manager is involved.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';

export const SPANS_PER_REQUEST = 2;

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** Makes request number `n` (ids and the path vary, as they do between real requests); returns how many of its spans were sampled. */
export function tracedRequest(tracer: Tracer, n: number): number {
  const id = n % 1000;
  const server = tracer.startSpan(
    'GET /users/:id',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': `/users/${id}`,
        'url.scheme': 'http',
        'server.address': 'users.flotilla.svc',
        'server.port': 8080,
        'client.address': '10.0.3.17',
        'network.protocol.version': '1.1',
        'user_agent.original': USER_AGENT,
      },
    },
    ROOT_CONTEXT,
  );
  server.setAttribute('http.route', '/users/:id');
  const client = tracer.startSpan(
    'GET',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'GET',
        'server.address': 'accounts.flotilla.svc',
        'server.port': 8080,
        'url.full': `http://accounts.flotilla.svc:8080/accounts/${id}`,
      },
    },
    trace.setSpan(ROOT_CONTEXT, server),
  );
  client.setAttribute('http.response.status_code', 200);
  client.end();
  server.setAttribute('http.response.status_code', 200);
  // The child follows its parent's sampling decision.
  const sampled = server.isRecording() ? SPANS_PER_REQUEST : 0;
  server.end();
  return sampled;
}
