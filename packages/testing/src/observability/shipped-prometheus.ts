/**
 * The shipped deploy/observability Prometheus config and rule files, for a
 * real Prometheus in a test: only the `flotilla-local` job's static targets
 * (the test's ports) and the intervals (1 s, so tests are quick) change.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../repository.ts';
import { scratchDir } from '../temp-dir.ts';

/** deploy/observability: the Prometheus, Grafana and collector files a deployment starts from. */
export const observabilityDeployDir = join(repoRoot, 'deploy', 'observability');

export interface StaticGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface PrometheusFiles {
  /** A new temporary folder holding the config and the rules (also a fine data folder for the server). */
  dir: string;
  configFile: string;
  /** The `flotilla-local` job's static groups as written. */
  groups: StaticGroup[];
}

/** Writes the shipped config, its `flotilla-local` groups replaced by `retarget(shipped)`, and the shipped rules. */
export function shippedPrometheusFiles(retarget: (shipped: StaticGroup[]) => StaticGroup[]): PrometheusFiles {
  const shipped = join(observabilityDeployDir, 'prometheus');
  const dir = scratchDir('prometheus');
  cpSync(join(shipped, 'rules'), join(dir, 'rules'), { recursive: true });
  const config = parse(readFileSync(join(shipped, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: Array<{ job_name: string; static_configs: StaticGroup[] }>;
  };
  config.global.scrape_interval = '1s';
  config.global.scrape_timeout = '1s';
  config.global.evaluation_interval = '1s';
  const local = config.scrape_configs.find((c) => c.job_name === 'flotilla-local');
  if (local === undefined) throw new Error(`${shipped}/prometheus.yml has no flotilla-local job`);
  local.static_configs = retarget(local.static_configs);
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  return { dir, configFile, groups: local.static_configs };
}
