export { AnomalyDetector, ANOMALY_KINDS, type AnomalyKind, type AnomalyTransition, type ClearReason, type DetectorSettings, type SignalState, type WindowStats } from './detector.js';
export { AnomalyMonitor, type ActiveAnomaly, type AnomalyMonitorOptions } from './monitor.js';
export { assertAnomalySettings, followAnomalyConfig } from './follow-config.js';
export { anomalySettingsProblems, MAX_WINDOW_STEPS } from './settings-problems.js';
export { median, medianAbsoluteDeviation, MAD_TO_SIGMA } from './robust.js';
