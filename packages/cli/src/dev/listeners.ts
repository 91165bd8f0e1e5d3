/**
 * Where each dev process will listen, read the way the process itself reads
 * it (config/<ns>/shared.yaml < <name>.yaml < FLOTILLA_<NAME>__… variables),
 * so the supervisor can check the ports before starting anything and knows
 * where to ask for readiness.
 */
import { ConfigError, GrpcConfig, HttpConfig, loadConfig, parseAgainstSchema } from '@flotilla/kit';
import type { ProcessSpec } from './processes.ts';

export interface Listener {
  /** `http` or `grpc`. */
  protocol: string;
  host: string;
  port: number;
}

export interface ProcessListeners {
  spec: ProcessSpec;
  http: Listener;
  grpc: Listener | undefined;
  /** Where the process answers HTTP (`/readyz`, `/docs`), reachable from this machine. */
  url: string;
}

type Schema = Parameters<typeof loadConfig>[0]['schema'];
/** Any document: the process checks its whole config itself; here only the listeners are read. */
const ANY_DOCUMENT = { type: 'object' } as unknown as Schema;

export function resolveListeners(spec: ProcessSpec, env: Record<string, string | undefined>, configDir: string): ProcessListeners {
  const loaded = loadConfig({ service: spec.name, schema: ANY_DOCUMENT, dir: configDir, env });
  const document = loaded.value as Record<string, unknown>;
  const source = loaded.sources.join(', ') || 'defaults and environment';
  const http = section(spec.name, source, 'http', HttpConfig, document.http);
  const grpc = spec.grpc ? section(spec.name, source, 'grpc', GrpcConfig, document.grpc) : undefined;
  return { spec, http, grpc, url: `http://${reachable(http.host)}:${http.port}` };
}

/** One section through the services' own schema, so defaults and conversions match theirs. */
function section(service: string, source: string, key: string, schema: Schema, value: unknown): Listener {
  try {
    const parsed = parseAgainstSchema(service, source, schema, value ?? {}) as unknown as { host: string; port: number };
    return { protocol: key, host: parsed.host, port: parsed.port };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      service,
      source,
      error.problems.map((p) => ({ ...p, key: p.key === '' ? key : `${key}.${p.key}` })),
    );
  }
}

/** A wildcard address is listened on everywhere; connect to it over loopback. */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
