/** The Prometheus binaries from scripts/test-services (FLOTILLA_TEST_PROMTOOL_BIN, FLOTILLA_TEST_PROMETHEUS_BIN), and running them. */
import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { missingServer } from '@flotilla/testing';

/** The binary's path; without it `t` is skipped (or, when servers are required, fails). */
export function toolPath(variable: 'FLOTILLA_TEST_PROMTOOL_BIN' | 'FLOTILLA_TEST_PROMETHEUS_BIN', t: TestContext): string | undefined {
  const path = process.env[variable];
  if (path !== undefined && path !== '') return path;
  t.skip(missingServer(variable).skip);
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
