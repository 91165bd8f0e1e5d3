/**
 * followAnomalyConfig: makes the `anomaly` section live in a running service.
 * Every change is checked first (anomalySettingsProblems, on top of the
 * schema): a bad one is refused by the config centre like any invalid change
 * (nothing applied, `config-rejected` logged, shown in `/admin/config`).
 * A valid one reaches every detector of the monitor at once — routes, gRPC
 * methods, gRPC clients and the gateway's upstreams alike — through
 * AnomalyMonitor.configure. Subscribing also takes `anomaly` off the
 * centre's "pending restart" list.
 */
import type { ConfigReload } from '@flotilla/config';
import { ConfigError } from '@flotilla/config';
import type { AnomalySettings } from '../config.ts';
import type { AnomalyMonitor } from './monitor.ts';
import { anomalySettingsProblems } from './settings-problems.ts';

type AnomalyConfigReload = Pick<ConfigReload<{ anomaly: AnomalySettings }>, 'onChange' | 'validate' | 'current'>;

/** Throws the ConfigError a service start (or a change) gets for `settings` that fail the checks. */
export function assertAnomalySettings(service: string, settings: AnomalySettings): void {
  const problems = anomalySettingsProblems(settings);
  if (problems.length > 0) throw new ConfigError(service, 'anomaly', problems);
}

/** Checks the config in force now, then follows its changes; returns the unsubscribe. */
export function followAnomalyConfig(service: string, reload: AnomalyConfigReload, monitor: AnomalyMonitor): () => void {
  assertAnomalySettings(service, reload.current().anomaly);
  const unsubscribes = [
    reload.validate((candidate) => assertAnomalySettings(service, candidate.anomaly)),
    reload.onChange('anomaly', () => monitor.configure(reload.current().anomaly)),
  ];
  return () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}
