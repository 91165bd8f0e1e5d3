/**
 * The gateway: owns the current routing snapshot (route table + resolver),
 * the upstream pools and the merged OpenAPI, follows live config changes from
 * the config centre, and sits in front of the kit's Fastify app on the same
 * listener.
 *
 * Routed traffic is served by the app's front handler, ahead of Fastify's
 * router: Fastify's request/reply objects, hooks and serialisation cost more
 * per request than the whole proxy hop (see bench/gateway). It runs the same
 * admission steps as Fastify's routes. Everything else (health,
 * `/openapi.json`, `/docs`, admin, unrouted 404s) is plain Fastify.
 */
import type { ConfigReload } from '@flotilla/config';
import type { Registry } from '@flotilla/discovery';
import { type Authenticator, type HttpApp, loadShedderOf, setFrontHandler } from '@flotilla/http';
import type { Logger } from '@flotilla/kit';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import type { GatewaySettings } from './config.ts';
import { dispatchRouted, type DispatchContext, type RoutingSnapshot } from './dispatch.ts';
import { PublishedOpenApi } from './openapi/published.ts';
import { AccessLog } from './proxy/access-log.ts';
import { GatewayTelemetry } from './proxy/telemetry.ts';
import { compileRouteTable, type RouteTable } from './routes/table.ts';
import { BalancedUpstreamResolver } from './upstream/balanced-resolver.ts';
import { GatewayPolicies, policyProblems } from './policies/gateway-policies.ts';
import { ConfigError } from '@flotilla/config';
import { UpstreamPools } from './upstream/pools.ts';
import type { UpstreamProxyDeps } from './proxy/upstream-proxy.ts';

export interface GatewayOptions {
  settings: GatewaySettings;
  logger: Logger;
  /** The config namespace (for logs). */
  namespace: string;
  version: string;
  /** The service's telemetry (`context.telemetry`): the routed path records its metrics, spans and anomaly samples there. */
  telemetry: ServiceTelemetry;
  /** Live changes from the config centre (the service's `context.reload`); without it the routes never change. */
  reload?: ConfigReload<GatewaySettings>;
  /** Where upstreams without static `instances` are found, and where this gateway runs; without it only static upstreams resolve. */
  discovery?: { registry: Registry; locality: { region: string; zone: string } };
  /**
   * The service's authenticator (`context.auth`), which already follows `auth` reloads: the routed path and the
   * gateway's own Fastify routes then share one verified-token cache and one JWKS cache. Without it the gateway makes
   * its own from `settings.auth` and applies reloads to it.
   */
  authenticator?: Authenticator;
}

/** Keys the gateway applies live; the config centre reports any other change as waiting for a restart. */
const LIVE_KEYS = [
  'routes',
  'aggregations',
  'upstreams',
  'proxy.defaultTimeoutMs',
  'balancing',
  'auth',
  'rateLimit',
  'resilience',
  'admin',
] as const;

/** Names the config in problems and logs. */
const SOURCE = 'gateway config';

export class Gateway implements DispatchContext {
  readonly accessLog: AccessLog;
  readonly telemetry: GatewayTelemetry;
  readonly openapi: PublishedOpenApi;
  readonly policies: GatewayPolicies;
  readonly upstreamProxy: UpstreamProxyDeps;
  readonly #pools: UpstreamPools;
  readonly #logger: Logger;
  readonly #resolver: BalancedUpstreamResolver;
  #balancing: string;
  #snapshot: RoutingSnapshot;
  #closing = false;
  #unsubscribes: Array<() => void> = [];
  #applyScheduled = false;

  constructor(options: GatewayOptions) {
    const { settings, logger } = options;
    this.#logger = logger;
    const table = compileRouteTable(settings, 1, SOURCE);
    this.#pools = new UpstreamPools(settings.proxy);
    this.#resolver = new BalancedUpstreamResolver({
      ...(options.discovery === undefined ? {} : { registry: options.discovery.registry }),
      locality: options.discovery?.locality ?? { region: 'local', zone: 'local' },
      balancing: settings.balancing,
    });
    this.#balancing = JSON.stringify(settings.balancing);
    this.#resolver.configure(settings.upstreams);
    // Instances come and go without reloads: drop the pools of those that left.
    this.#unsubscribes.push(this.#resolver.onInstancesChanged(() => this.#pools.retainOnly(this.#resolver.allOrigins())));
    this.#snapshot = { table, resolver: this.#resolver };
    this.accessLog = new AccessLog(logger, settings.proxy.accessLog, {
      service: 'gateway',
      version: options.version,
      environment: options.namespace,
    });
    this.telemetry = new GatewayTelemetry(options.telemetry);
    const problems = policyProblems(settings, options.namespace);
    if (problems.length > 0) throw new ConfigError('gateway', SOURCE, problems);
    this.policies = new GatewayPolicies(settings, {
      namespace: options.namespace,
      telemetry: options.telemetry,
      logger,
      ...(options.authenticator === undefined ? {} : { authenticator: options.authenticator }),
    });
    this.upstreamProxy = {
      guards: this.policies.guards,
      resolver: this.#resolver,
      pool: (origin) => this.#pools.get(origin),
      upstreams: this.telemetry.upstreams,
      accessLog: this.accessLog,
    };
    this.openapi = new PublishedOpenApi({
      title: settings.openapi.title,
      version: options.version,
      cacheTtlMs: settings.openapi.cacheTtlMs,
      fetchTimeoutMs: settings.openapi.fetchTimeoutMs,
      current: () => this.#snapshot,
      pool: (origin) => this.#pools.get(origin),
    });
    if (options.reload !== undefined) this.#follow(options.reload);
    this.#logSummary('routes loaded', table.version);
  }

  /** Resolves once every discovered upstream has its first listing, or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    return this.#resolver.ready(timeoutMs);
  }

  /** The resolver behind every pick (balancer statistics for tools and tests). */
  get resolver(): BalancedUpstreamResolver {
    return this.#resolver;
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

  /** Puts the routed path in front of the app's Fastify routes. */
  attach(app: HttpApp): void {
    setFrontHandler(app, (req, res) => dispatchRouted(this, req, res));
    // The kit's shedder: one in-flight count for Fastify's requests and the routed ones.
    this.policies.admission.useShedder(loadShedderOf(app));
    app.addHook('preClose', (done) => {
      this.#closing = true;
      done();
    });
  }

  /**
   * Applies routing settings the config centre already validated (schema, and
   * the route table through `validate`): a new table is swapped in with one
   * assignment, so requests in flight keep theirs.
   */
  apply(settings: GatewaySettings): boolean {
    const current = this.#snapshot.table;
    let table: RouteTable;
    try {
      table = compileRouteTable(settings, current.version + 1, SOURCE);
    } catch (error) {
      this.#logger.error(
        {
          event: { action: 'routes-reload-rejected', outcome: 'failure' },
          error: { message: (error as Error).message, type: (error as Error).name },
          labels: { routes_version: current.version },
        },
        `gateway routes rejected, keeping version ${current.version}: ${(error as Error).message}`,
      );
      return false;
    }
    const balancing = JSON.stringify(settings.balancing);
    if (balancing !== this.#balancing) {
      this.#balancing = balancing;
      this.#resolver.setBalancing(settings.balancing);
    }
    this.#resolver.configure(settings.upstreams);
    this.#snapshot = { table, resolver: this.#resolver };
    this.#pools.retainOnly(this.#resolver.allOrigins());
    this.openapi.invalidate();
    this.#logSummary('routes reloaded', table.version);
    this.policies.update(settings).catch((error: unknown) => {
      this.#logger.error(
        {
          event: { action: 'policies-reload-rejected', outcome: 'failure' },
          error: { message: (error as Error).message, type: (error as Error).name },
        },
        `gateway policies rejected, keeping the previous ones: ${(error as Error).message}`,
      );
    });
    return true;
  }

  /** Follows the config centre: a change the route table cannot compile is rejected before anything applies. */
  #follow(reload: ConfigReload<GatewaySettings>): void {
    this.#unsubscribes.push(
      reload.validate((candidate) => {
        compileRouteTable(candidate, 0, SOURCE);
        const problems = policyProblems(candidate, this.policies.guards.namespace);
        if (problems.length > 0) throw new ConfigError('gateway', SOURCE, problems);
      }),
    );
    for (const key of LIVE_KEYS) {
      this.#unsubscribes.push(
        reload.onChange(key, () => {
          // One change may touch several keys: apply the whole new config once.
          if (this.#applyScheduled) return;
          this.#applyScheduled = true;
          queueMicrotask(() => {
            this.#applyScheduled = false;
            if (!this.#closing) this.apply(reload.current());
          });
        }),
      );
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.#resolver.close();
    await Promise.all([this.#pools.close(), this.policies.close()]);
  }

  #logSummary(message: string, version: number): void {
    const table = this.#snapshot.table;
    const routes = table.routes.map(
      (r) => `${r.pattern.source} -> ${r.kind === 'proxy' ? r.upstream : `[${r.parts.map((p) => p.upstream).join(', ')}]`}`,
    );
    this.#logger.info(
      { event: { action: message.replace(' ', '-') }, labels: { routes_version: version }, routes },
      `${message} (version ${version}): ${table.routes.length} route(s)`,
    );
  }
}
