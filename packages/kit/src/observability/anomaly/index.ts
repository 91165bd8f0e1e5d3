export { AnomalyDetector, ANOMALY_KINDS, type AnomalyKind, type AnomalyTransition, type DetectorSettings, type SignalState, type WindowStats } from './detector.js';
export { AnomalyMonitor, type ActiveAnomaly, type AnomalyMonitorOptions } from './monitor.js';
export { median, medianAbsoluteDeviation, MAD_TO_SIGMA } from './robust.js';
