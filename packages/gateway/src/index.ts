export { gatewayService, GATEWAY_VERSION } from './service.ts';
export { Gateway, type GatewayOptions } from './gateway.ts';
export { GatewayConfig, type GatewaySettings, type RouteSettings, type AggregationSettings } from './config.ts';
export {
  statusCountsAsFailure,
  type UpstreamResolver,
  type PickedUpstream,
  type UpstreamOutcome,
} from './upstream/resolver.ts';
export { BalancedUpstreamResolver, type BalancedUpstreamResolverOptions } from './upstream/balanced-resolver.ts';
export {
  compileRouteTable,
  RouteTable,
  type GatewayRoute,
  type ProxyRoute,
  type AggregationRoute,
} from './routes/table.ts';
export { UNAVAILABLE_EXTENSION } from './openapi/merge.ts';
