import { disableContextPropagation } from '@flotilla/kit/context';
import { keepTracingContextSynchronous } from '@flotilla/kit/observability';
import { gatewayService } from './service.ts';

// The gateway process never reads the per-request context, and its proxy path
// (below Fastify) hands each request's trace context on by hand: on Node 20
// an AsyncLocalStorage, once used, costs a hook per async resource, and the
// kit's request context and OpenTelemetry's would each add one.
// Only here, not in `start()`: tests run other services in the same process.
disableContextPropagation();
keepTracingContextSynchronous();
await gatewayService.main();
