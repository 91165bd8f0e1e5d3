export {
  AnomalyDetector,
  ANOMALY_KINDS,
  type AnomalyKind,
  type AnomalyTransition,
  type ClearReason,
  type DetectorSettings,
  type SignalState,
  type WindowStats,
} from './detector.ts';
export { AnomalyMonitor, type ActiveAnomaly, type AnomalyMonitorOptions } from './monitor.ts';
export { assertAnomalySettings, followAnomalyConfig } from './follow-config.ts';
export { anomalySettingsProblems, MAX_WINDOW_STEPS } from './settings-problems.ts';
export { median, medianAbsoluteDeviation, MAD_TO_SIGMA } from './robust.ts';
