export { gatewayService, GATEWAY_VERSION } from './service.js';
export { Gateway, type GatewayOptions } from './gateway.js';
export { GatewayConfig, type GatewaySettings, type RouteSettings, type AggregationSettings } from './config.js';
export { statusCountsAsFailure, type UpstreamResolver, type PickedUpstream, type UpstreamOutcome } from './upstream/resolver.js';
export { BalancedUpstreamResolver, type BalancedUpstreamResolverOptions } from './upstream/balanced-resolver.js';
export { compileRouteTable, RouteTable, type GatewayRoute, type ProxyRoute, type AggregationRoute } from './routes/table.js';
export { UNAVAILABLE_EXTENSION } from './openapi/merge.js';
