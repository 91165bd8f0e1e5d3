/**
 * node:cluster, looked up when first used instead of imported. An executable
 * with a start-up snapshot (scripts/sea) loads its modules when it is built:
 * an imported cluster would be the primary's for good, and a forked worker,
 * whose Node sets up the worker's cluster before the service's code runs,
 * would fail to start (`cluster._setupWorker is not a function`).
 */
import type { Cluster } from 'node:cluster';

export function nodeCluster(): Cluster {
  return process.getBuiltinModule('node:cluster') as unknown as Cluster;
}
