/**
 * Checks of the `anomaly` section beyond its schema, shared by the start and
 * by every live change (a change that fails them is refused whole). Each
 * catches a combination the schema's per-key ranges let through but that
 * would silently break detection or blow up memory.
 */
import type { ConfigProblem } from '@flotilla/config';
import type { AnomalySettings } from '../config.ts';

/**
 * Most steps one window may hold. Each step is a ~1 KB latency sketch per
 * detector (up to 1000 detectors per service); the default is 12 steps.
 */
export const MAX_WINDOW_STEPS = 120;

export function anomalySettingsProblems(settings: AnomalySettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { windowMs, stepMs, minBaseline, baselineSize } = settings;
  if (stepMs > windowMs) {
    problems.push({
      key: 'anomaly.stepMs',
      value: stepMs,
      rule: `must not be above anomaly.windowMs (${windowMs}): a window is made of whole steps`,
    });
  } else if (Math.round(windowMs / stepMs) > MAX_WINDOW_STEPS) {
    problems.push({
      key: 'anomaly.stepMs',
      value: stepMs,
      rule: `gives ${Math.round(windowMs / stepMs)} steps per window (anomaly.windowMs ${windowMs}); at most ${MAX_WINDOW_STEPS} are kept`,
    });
  }
  if (minBaseline > baselineSize) {
    problems.push({
      key: 'anomaly.minBaseline',
      value: minBaseline,
      rule: `must not be above anomaly.baselineSize (${baselineSize}): the baseline would never be trusted`,
    });
  }
  return problems;
}
