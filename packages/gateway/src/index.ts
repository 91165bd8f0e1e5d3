export { gatewayService, GATEWAY_VERSION, type GatewayStartOptions } from './service.js';
export { Gateway, type GatewayOptions, type ConfigSource } from './gateway.js';
export { GatewayConfig, type GatewaySettings, type RouteSettings, type AggregationSettings } from './config.js';
export { StaticUpstreamResolver, staticResolver, type UpstreamResolver, type ResolverFactory } from './upstream/resolver.js';
export { compileRouteTable, RouteTable, type GatewayRoute, type ProxyRoute, type AggregationRoute } from './routes/table.js';
export { UNAVAILABLE_EXTENSION } from './openapi/merge.js';
