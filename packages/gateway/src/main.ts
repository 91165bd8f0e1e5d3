import { keepTracingContextSynchronous } from '@flotilla/telemetry';
import { gatewayService } from './service.ts';

// The proxy path (below Fastify) hands each request's trace context on by
// hand, so OpenTelemetry's context need not follow awaits: with tracing on,
// an AsyncLocalStorage context manager still costs 4-5 % CPU per proxied
// request on Node 24 (bench/gateway/context.ts).
// Only here, not in `start()`: tests run other services in the same process.
keepTracingContextSynchronous();
await gatewayService.main();
