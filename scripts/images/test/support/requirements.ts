/**
 * What the image test needs: Linux, root (runc creates namespaces and cgroups),
 * and the Debian tools umoci, runc, skopeo, binutils (strip), tar and zstd.
 * Under `npm test` (FLOTILLA_TEST_REQUIRE_SERVICES=1) missing tools are
 * installed with apt-get and anything else missing fails the test; run on
 * its own, the test skips itself when it is not root or the tools are absent.
 */
import type { TestContext } from 'node:test';
import { aptInstall } from '../../../test-services/lib/apt.ts';
import { findOnPath, isRoot } from '../../../test-services/lib/paths.ts';

const TOOLS: Record<string, string> = { umoci: 'umoci', runc: 'runc', skopeo: 'skopeo', strip: 'binutils', tar: 'tar', zstd: 'zstd' };

export const REQUIRED = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';

/** True when the test can go on; otherwise it has been skipped (or has thrown, under npm test). */
export async function ensureRequirements(t: TestContext): Promise<boolean> {
  const refuse = (reason: string): false => {
    if (REQUIRED) throw new Error(`${reason}, but FLOTILLA_TEST_REQUIRE_SERVICES=1 (npm test) does not allow skipping`);
    t.skip(reason);
    return false;
  };
  if (process.platform !== 'linux') return refuse('images are built and run on Linux only');
  if (!isRoot()) return refuse('running the images under runc needs root');
  const missing = Object.keys(TOOLS).filter((tool) => findOnPath(tool) === undefined);
  if (missing.length > 0) {
    if (!REQUIRED)
      return refuse(`missing ${missing.join(', ')} (apt-get install -y ${[...new Set(missing.map((m) => TOOLS[m]!))].join(' ')})`);
    await aptInstall(
      missing.map((m) => TOOLS[m]!),
      (line) => process.stderr.write(`[images test] ${line}\n`),
    );
  }
  return true;
}
