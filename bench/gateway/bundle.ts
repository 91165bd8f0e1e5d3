/**
 * The gateway as `npm start` runs it: one ESM file built by esbuild with the
 * settings of scripts/bundle.mjs, but from the sources (the `@flotilla/source`
 * condition), so it does not depend on any workspace's dist being current.
 * Why a bundle rather than src/main.ts run by Node's type stripping: the
 * stripped sources are the same code on the hot path, but a bundle is what
 * production runs (one module, esbuild's output), so that is what is measured.
 *
 * The file goes under node_modules/.cache so that its external packages
 * resolve from the repository's node_modules.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from './servers.ts';

/** Kept in step with scripts/bundle.mjs: packages that read files beside their code or load native addons. */
const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'mysql2', '@fastify/swagger-ui', '@grpc/*', 'etcd3', 'protobufjs', 'pino', 'pino-pretty', '@opentelemetry/*', 'undici'];

export interface GatewayBundle {
  file: string;
  remove(): void;
}

export async function bundleGateway(): Promise<GatewayBundle> {
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'flotilla-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `gateway-${process.pid}.mjs`);
  await build({
    entryPoints: [join(REPO_ROOT, 'packages/gateway/src/main.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    conditions: ['@flotilla/source'],
    external: EXTERNAL,
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: { js: "import { createRequire as __flotillaRequire } from 'node:module'; const require = __flotillaRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return { file, remove: () => rmSync(file, { force: true }) };
}
