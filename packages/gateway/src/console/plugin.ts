/**
 * `/console/`: the built console (`@flotilla/console`) served by the
 * gateway, as an encapsulated Fastify plugin with prefix `/console`.
 * `index.html` is revalidated on every load, hashed assets are cached for a
 * year; every answer carries a Content-Security-Policy that allows only this
 * origin (no inline script, no framing) and `nosniff`. Without a build the
 * console answers a 503 problem that says how to build it; the gateway runs
 * on. The console's data comes from the admin API (`/admin/*`), behind the
 * admin credential or the console's session cookie.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_HASHED_ASSETS, CONSOLE_INDEX } from '@flotilla/console';
import { type HttpApp, type Logger, NotFoundError, UnavailableError } from '@flotilla/kit';
import { readStaticFile, type StaticFile } from './static-files.ts';

export const CONSOLE_PREFIX = '/console';

/** The page loads its own script, style and icon, and calls this origin's API; nothing else. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export interface ConsoleOptions {
  /** The built console: `consoleStaticDir()` from `@flotilla/console`. */
  staticDir: string;
  logger: Logger;
}

function notBuilt(staticDir: string): UnavailableError {
  return new UnavailableError(
    `The console is not built (no ${join(staticDir, CONSOLE_INDEX)}): run npm run build, or node packages/console/build.mjs`,
    { details: { reason: 'console-not-built' } },
  );
}

export async function registerConsole(app: HttpApp, options: ConsoleOptions): Promise<void> {
  const { staticDir, logger } = options;
  if (!existsSync(join(staticDir, CONSOLE_INDEX)))
    logger.warn({ event: { action: 'console-not-built' } }, `console not built (${staticDir}): /console/ answers 503 until it is`);

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (_request, reply) => {
        reply.headers(SECURITY_HEADERS);
      });
      const fileAt = async (path: string): Promise<StaticFile> => {
        // Checked on every request: a build made while the gateway runs is served at once.
        if (!existsSync(join(staticDir, CONSOLE_INDEX))) throw notBuilt(staticDir);
        const file = await readStaticFile(staticDir, path, CONSOLE_HASHED_ASSETS);
        if (file === undefined) throw new NotFoundError(`No console file at ${CONSOLE_PREFIX}/${path}`);
        return file;
      };
      // Relative asset URLs need the trailing slash: /console → /console/.
      scope.get('', { prefixTrailingSlash: 'no-slash' }, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 308));
      scope.get('/', { prefixTrailingSlash: 'slash' }, async (_request, reply) => {
        const file = await fileAt(CONSOLE_INDEX);
        return reply.header('cache-control', file.cacheControl).type(file.mediaType).send(file.body);
      });
      scope.get<{ Params: { '*': string } }>('/*', async (request, reply) => {
        const file = await fileAt(request.params['*']);
        return reply.header('cache-control', file.cacheControl).type(file.mediaType).send(file.body);
      });
    },
    { prefix: CONSOLE_PREFIX },
  );
}
