/** Schemathesis results as text for the test output and assertion messages. */
import type { FailedCase } from './junit.ts';
import type { DroppedFailure, FuzzRun } from './schemathesis-run.ts';

/** One line per run: what was generated, the stateful links, failures, drops. */
export function describeRun(run: FuzzRun): string {
  return [
    `${run.target.name}: ${run.generated} cases generated`,
    `links ${run.links ?? 'none (no stateful phase ran)'}`,
    `${run.failures.length} failing cases`,
    `${run.filtered} dropped by hooks.py`,
  ].join('; ');
}

/** The bearer token as `$TOKEN`, so reproductions stay short; README.md says how to mint one. */
function withoutToken(curl: string, authorization: string): string {
  return curl.replaceAll(authorization.replace(/^Bearer /, ''), '$TOKEN');
}

function distinctKey(failure: FailedCase): string {
  return `${failure.operation}|${failure.checks.map((c) => c.code).join(',')}|${failure.status}`;
}

/** Every failing case, the same operation, checks and status listed once with how often it occurred. */
export function describeFailures(run: FuzzRun, authorization: string): string {
  const groups = new Map<string, FailedCase[]>();
  for (const failure of run.failures) groups.set(distinctKey(failure), [...(groups.get(distinctKey(failure)) ?? []), failure]);
  const lines = [
    `Schemathesis found ${run.failures.length} failing cases (${groups.size} distinct) in ${run.target.name} (${run.target.url}/openapi.json):`,
  ];
  for (const cases of groups.values()) {
    const first = cases[0]!;
    const checks = first.checks.map((c) => `${c.code} ${c.check} (${c.title})`).join(' + ');
    lines.push(
      '',
      `- ${first.operation}: ${checks} → HTTP ${first.status ?? 'no response'}${cases.length > 1 ? ` (${cases.length} cases)` : ''}`,
    );
    for (const curl of first.curls) lines.push(`    ${withoutToken(curl, authorization)}`);
  }
  return lines.join('\n');
}

/** The failures hooks.py dropped, once per operation, status and negative part, with one curl each. */
export function describeDropped(run: FuzzRun, authorization: string): string[] {
  const groups = new Map<string, DroppedFailure[]>();
  for (const dropped of run.dropped) {
    const key = `${dropped.operation} → HTTP ${dropped.status}, schema-violating ${dropped.negative.join(', ')}`;
    groups.set(key, [...(groups.get(key) ?? []), dropped]);
  }
  return [...groups].map(
    ([key, cases]) => `${run.target.name}: dropped ${cases.length}× ${key}: ${withoutToken(cases[0]!.curl, authorization)}`,
  );
}
