/**
 * packages/gateway/src/main.ts with its remaining context workaround
 * switchable, for context.ts (which bundles this file once per setting):
 *  (b) `keepTracingContextSynchronous()`: OpenTelemetry's active context kept
 *      synchronous instead of the AsyncLocalStorage context manager (which
 *      also brings the undici instrumentation).
 * The switch is the `process.env` read below, fixed at build time by
 * esbuild's `define` ('on' or 'off'; context.ts). Run unbundled, it reads
 * the environment, and left unset it is on, as in main.ts.
 * Everything else is main.ts as is. The line written to stderr lets
 * context.ts check, from the gateway's log, that each process runs the
 * setting it was built with.
 */
import { keepTracingContextSynchronous } from '@flotilla/telemetry';
import { gatewayService } from '@flotilla/gateway';

const syncTracing = process.env.FLOTILLA_BENCH_KEEP_TRACING_CONTEXT_SYNCHRONOUS !== 'off';
process.stderr.write(`flotilla-bench context workarounds: keepTracingContextSynchronous=${syncTracing ? 'on' : 'off'}\n`);
if (syncTracing) keepTracingContextSynchronous();
await gatewayService.main();
