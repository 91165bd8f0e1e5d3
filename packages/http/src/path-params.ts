/**
 * The router refuses a path parameter longer than `maxParamLength` UTF-16 units
 * (after percent-decoding) with a 414, before any schema runs. A schema's
 * `maxLength` counts code points, up to two units each; a route whose
 * parameter schema allows more than the router reads would promise what the
 * server refuses, so it is refused when registered.
 */
import type { FastifyInstance } from 'fastify';

export const PATH_PARAM_MAX_UNITS = 256;
const MAX_CODE_POINTS = PATH_PARAM_MAX_UNITS / 2;

interface ParamsSchema {
  properties?: Record<string, { maxLength?: number }>;
}

export function checkPathParamLimits(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const params = (route.schema as { params?: ParamsSchema } | undefined)?.params;
    for (const [name, schema] of Object.entries(params?.properties ?? {})) {
      if (schema.maxLength !== undefined && schema.maxLength <= MAX_CODE_POINTS) continue;
      throw new Error(
        `${route.method} ${route.url}: path parameter "${name}" needs maxLength ≤ ${MAX_CODE_POINTS} (the router refuses longer ones with 414)`,
      );
    }
  });
}
