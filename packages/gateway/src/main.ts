import { disableContextPropagation } from '@flotilla/kit/context';
import { gatewayService } from './service.js';

// The gateway process never reads the per-request context (its proxy path runs
// below Fastify), and on Node 20 keeping it costs a hook per async resource.
// Only here, not in `start()`: tests run other services in the same process.
disableContextPropagation();
await gatewayService.main();
