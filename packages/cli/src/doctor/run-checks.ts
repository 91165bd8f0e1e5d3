/** Runs the doctor's checks in order, each bounded in time, and decides the exit code. */
import { EXIT } from '../exit-codes.ts';
import { type Check, type CheckResult, type DoctorContext, failed } from './check.ts';
import { configValid } from './config-check.ts';
import { discoveryReachable } from './discovery-check.ts';
import { homeWritable } from './home-check.ts';
import { portsFree } from './ports-check.ts';
import { nativeAddons, nodeVersion } from './runtime-checks.ts';

/** In the order a newcomer meets the problems: the runtime first, backends last. */
const CHECKS: Array<{ id: string; check: Check }> = [
  { id: 'node', check: nodeVersion },
  { id: 'native-addons', check: nativeAddons },
  { id: 'home', check: homeWritable },
  { id: 'ports', check: portsFree },
  { id: 'config-centre', check: configValid },
  { id: 'discovery', check: discoveryReachable },
];

export interface DoctorReport {
  ok: boolean;
  exitCode: number;
  checks: CheckResult[];
}

export async function runChecks(context: DoctorContext): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  for (const { id, check } of CHECKS) checks.push(...(await bounded(id, check, context)));
  const first = checks.find((c) => !c.ok);
  const exitCode = first === undefined ? EXIT.ok : first.kind === 'config' ? EXIT.invalid : EXIT.unavailable;
  return { ok: first === undefined, exitCode, checks };
}

/** A backend that never answers is a failed check, not a hung command. */
async function bounded(id: string, check: Check, context: DoctorContext): Promise<CheckResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult[]>((resolve) => {
    timer = setTimeout(
      () =>
        resolve([failed(id, `${id}: no answer within ${context.timeoutMs} ms`, 'check that the backend is up and reachable from here')]),
      context.timeoutMs,
    );
  });
  try {
    return await Promise.race([
      check(context).catch((error: unknown) => [
        failed(id, `${id}: the check failed: ${String(error)}`, 'report this as a bug in flotilla doctor'),
      ]),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function formatReport(report: DoctorReport): string[] {
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${check.ok ? '✓' : '✗'} ${check.summary}`);
    if (!check.ok && check.fix !== undefined) lines.push(`    fix: ${check.fix}`);
  }
  const failures = report.checks.filter((c) => !c.ok).length;
  lines.push('', failures === 0 ? 'All checks passed.' : `${failures} of ${report.checks.length} checks failed.`);
  return lines;
}
