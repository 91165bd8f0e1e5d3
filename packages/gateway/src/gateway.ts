/**
 * The gateway: owns the current routing snapshot (route table + resolver),
 * the upstream pools, the merged OpenAPI and the config watch, and sits in
 * front of the kit's Fastify app on the same listener.
 *
 * Routed traffic is handled on Node's raw `request` event before Fastify sees
 * it: Fastify's request/reply objects, hooks and serialisation cost more per
 * request than the whole proxy hop (see bench/gateway). Everything else
 * (health, `/openapi.json`, `/docs`, unrouted 404s) is plain Fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { loadConfig, ConfigError } from '@flotilla/kit/config';
import type { HttpApp } from '@flotilla/kit/http';
import type { Logger } from '@flotilla/kit';
import { GatewayConfig, type GatewaySettings } from './config.js';
import { dispatchRouted, type DispatchContext, type RoutingSnapshot } from './dispatch.js';
import { PublishedOpenApi } from './openapi/published.js';
import { AccessLog } from './proxy/access-log.js';
import { compileRouteTable } from './routes/table.js';
import { watchConfigFiles, type ConfigWatch } from './routes/watch.js';
import { UpstreamPools } from './upstream/pools.js';
import { staticResolver, type ResolverFactory } from './upstream/resolver.js';

/** Where the config came from, so a reload reads the same layers again. */
export interface ConfigSource {
  dir: string;
  namespace: string;
  env: Record<string, string | undefined>;
}

export interface GatewayOptions {
  settings: GatewaySettings;
  logger: Logger;
  source: ConfigSource;
  version: string;
  resolverFactory?: ResolverFactory;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Settings a reload cannot apply to a running process. */
const RESTART_ONLY = ['http', 'log', 'shutdown', 'openapi', 'reload'] as const;

export class Gateway implements DispatchContext {
  readonly accessLog: AccessLog;
  readonly openapi: PublishedOpenApi;
  readonly #pools: UpstreamPools;
  readonly #logger: Logger;
  readonly #source: ConfigSource;
  readonly #startSettings: GatewaySettings;
  readonly #resolverFactory: ResolverFactory;
  #snapshot: RoutingSnapshot;
  #closing = false;
  #watch: ConfigWatch | undefined;
  #fallback: RequestListener | undefined;

  constructor(options: GatewayOptions) {
    const { settings, logger } = options;
    this.#logger = logger;
    this.#source = options.source;
    this.#startSettings = settings;
    this.#resolverFactory = options.resolverFactory ?? staticResolver;
    const table = compileRouteTable(settings, 1, this.#fileName());
    this.#snapshot = { table, resolver: this.#resolverFactory(table.upstreams) };
    this.#pools = new UpstreamPools(settings.proxy);
    this.accessLog = new AccessLog(logger, settings.proxy.accessLog, { service: 'gateway', version: options.version, environment: options.source.namespace });
    this.openapi = new PublishedOpenApi({
      title: settings.openapi.title,
      version: options.version,
      cacheTtlMs: settings.openapi.cacheTtlMs,
      fetchTimeoutMs: settings.openapi.fetchTimeoutMs,
      current: () => this.#snapshot,
      pool: (origin) => this.#pools.get(origin),
    });
    if (settings.reload.watch) {
      this.#watch = watchConfigFiles({
        dir: join(this.#source.dir, this.#source.namespace),
        files: ['gateway.yaml', 'shared.yaml'],
        debounceMs: settings.reload.debounceMs,
        onChange: () => this.reload(),
        onError: (error) => logger.warn({ event: { action: 'config-watch-failed' }, err: error }, 'cannot watch the gateway config; routes will not hot-reload'),
      });
    }
    this.#logSummary('routes loaded', table.version);
  }

  snapshot(): RoutingSnapshot {
    return this.#snapshot;
  }

  pool(origin: string) {
    return this.#pools.get(origin);
  }

  closing(): boolean {
    return this.#closing;
  }

  /** Puts the routed path in front of the app's Fastify handler and serves the merged OpenAPI. */
  attach(app: HttpApp): void {
    const server = app.server;
    const listeners = server.listeners('request') as RequestListener[];
    if (listeners.length !== 1) throw new Error(`expected Fastify's one request listener, found ${listeners.length}`);
    const fastify = listeners[0] as RequestListener;
    this.#fallback = fastify;
    server.removeAllListeners('request');
    server.on('request', this.#onRequest);

    app.addHook('preClose', (done) => {
      this.#closing = true;
      done();
    });
    app.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (request.url !== '/openapi.json' && !request.url.startsWith('/openapi.json?')) return;
      const document = await this.openapi.document();
      reply.header('cache-control', 'no-cache').type('application/json');
      return reply.send(document);
    });
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!dispatchRouted(this, req, res)) (this.#fallback as RequestListener)(req, res);
  };

  /**
   * Re-reads the config layers. A valid file swaps in a new table in one
   * assignment (requests in flight keep theirs); an invalid one is logged
   * with every problem and the current table stays.
   */
  reload(): boolean {
    const current = this.#snapshot.table;
    let settings: GatewaySettings;
    let table;
    try {
      settings = loadConfig({ service: 'gateway', schema: GatewayConfig, dir: this.#source.dir, namespace: this.#source.namespace, env: this.#source.env }).value;
      table = compileRouteTable(settings, current.version + 1, this.#fileName());
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [];
      this.#logger.error(
        { event: { action: 'routes-reload-rejected', outcome: 'failure' }, error: { message: (error as Error).message, type: (error as Error).name }, labels: { routes_version: current.version }, problems },
        `gateway config rejected, keeping routes version ${current.version}: ${(error as Error).message}`,
      );
      return false;
    }
    this.#snapshot = { table, resolver: this.#resolverFactory(table.upstreams) };
    this.#pools.retainOnly(new Set(Object.values(table.upstreams).flat()));
    this.openapi.invalidate();
    const ignored = RESTART_ONLY.filter((key) => JSON.stringify(settings[key]) !== JSON.stringify(this.#startSettings[key]));
    const proxyChanged = JSON.stringify({ ...settings.proxy, defaultTimeoutMs: 0 }) !== JSON.stringify({ ...this.#startSettings.proxy, defaultTimeoutMs: 0 });
    if (ignored.length > 0 || proxyChanged) {
      const keys = [...ignored, ...(proxyChanged ? ['proxy'] : [])];
      this.#logger.warn({ event: { action: 'config-restart-required' }, labels: { keys: keys.join(',') } }, `changes to ${keys.join(', ')} take effect on restart`);
    }
    this.#logSummary('routes reloaded', table.version);
    return true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#watch?.close();
    await this.#pools.close();
  }

  #fileName(): string {
    return resolve(this.#source.dir, this.#source.namespace, 'gateway.yaml');
  }

  #logSummary(message: string, version: number): void {
    const table = this.#snapshot.table;
    const routes = table.routes.map((r) => `${r.pattern.source} -> ${r.kind === 'proxy' ? r.upstream : `[${r.parts.map((p) => p.upstream).join(', ')}]`}`);
    this.#logger.info({ event: { action: message.replace(' ', '-') }, labels: { routes_version: version }, routes }, `${message} (version ${version}): ${table.routes.length} route(s)`);
  }
}
