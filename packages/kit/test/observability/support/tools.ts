/**
 * The Prometheus binaries from scripts/test-services (FLOTILLA_TEST_PROMTOOL_BIN,
 * FLOTILLA_TEST_PROMETHEUS_BIN). Under `npm test` (FLOTILLA_TEST_REQUIRE_SERVICES=1)
 * a missing variable fails the suite; in a quick local run it is skipped with a note.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const DEPLOY_DIR = join(import.meta.dirname, '..', '..', '..', '..', '..', 'deploy', 'observability');

export function toolPath(variable: 'FLOTILLA_TEST_PROMTOOL_BIN' | 'FLOTILLA_TEST_PROMETHEUS_BIN', t: TestContext): string | undefined {
  const path = process.env[variable];
  if (path !== undefined && path !== '') return path;
  if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1')
    throw new Error(`${variable} is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: run under scripts/test-services`);
  t.skip(`${variable} not set (run: node scripts/test-services/cli.ts run --only prometheus -- …)`);
  return undefined;
}

export function run(file: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
