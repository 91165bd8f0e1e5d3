/**
 * A real Prometheus on the shipped `deploy/observability` config and rule
 * files: only the `flotilla-local` job's static targets (this test's ports)
 * and the intervals (1 s, so tests are quick) change.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startPrometheus, type RunningPrometheus } from '../../../../../scripts/test-services/prometheus.ts';
import { DEPLOY_DIR } from './tools.ts';

export interface StaticGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** `retarget` maps the shipped static groups to the ones this test scrapes. */
export async function startShippedPrometheus(
  retarget: (shipped: StaticGroup[]) => StaticGroup[],
): Promise<{ prometheus: RunningPrometheus; dir: string; groups: StaticGroup[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-prometheus-'));
  cpSync(join(DEPLOY_DIR, 'prometheus', 'rules'), join(dir, 'rules'), { recursive: true });
  const config = parse(readFileSync(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: Array<{ job_name: string; static_configs: StaticGroup[] }>;
  };
  config.global.scrape_interval = '1s';
  config.global.scrape_timeout = '1s';
  config.global.evaluation_interval = '1s';
  const local = config.scrape_configs.find((c) => c.job_name === 'flotilla-local');
  assert.ok(local, 'the shipped config has the flotilla-local job');
  local.static_configs = retarget(local.static_configs);
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const prometheus = await startPrometheus({ configFile: join(dir, 'prometheus.yml'), dir });
  return { prometheus, dir, groups: local.static_configs };
}
