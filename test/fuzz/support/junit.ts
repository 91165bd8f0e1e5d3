/**
 * Reads the JUnit report of `st run --report junit`: one `<testcase>` per
 * operation (plus "Stateful tests"), one `<failure>` per failing test case,
 * whose text is what Schemathesis prints for it: the checks that failed
 * (`- ST202 Schema-valid request rejected`), the response (`[412] Precondition
 * Failed:`) and the requests that reproduce it (`curl …` lines).
 */

/** Check names by failure code, as Schemathesis 4.32 numbers them (`st explain <code>`). */
const CHECK_NAMES: Record<string, string> = {
  ST101: 'not_a_server_error',
  ST102: 'not_a_server_error',
  ST103: 'status_code_conformance',
  ST104: 'content_type_conformance',
  ST105: 'content_type_conformance',
  ST106: 'content_type_conformance',
  ST107: 'response_headers_conformance',
  ST108: 'response_schema_conformance',
  ST109: 'response_schema_conformance',
  ST110: 'response_schema_conformance',
  ST111: 'response_schema_conformance',
  ST112: 'max_response_time',
  ST201: 'negative_data_rejection',
  ST202: 'positive_data_acceptance',
  ST203: 'missing_required_header',
  ST204: 'unsupported_method',
  ST205: 'allow_header_conformance',
  ST301: 'use_after_free',
  ST302: 'ensure_resource_availability',
  ST401: 'ignored_auth',
  ST402: 'object_level_authorization',
};

export interface CheckFailure {
  /** e.g. "ST202" */
  code: string;
  /** e.g. "positive_data_acceptance" */
  check: string;
  /** e.g. "Schema-valid request rejected" */
  title: string;
}

export interface FailedCase {
  /** The JUnit test case: the operation the case was generated for, or "Stateful tests". */
  operation: string;
  caseId: string;
  checks: CheckFailure[];
  /** The status of the failing response, undefined when there was none (a network error). */
  status: number | undefined;
  /** The requests that reproduce it, in order (one, or a stateful sequence). */
  curls: string[];
  /** What Schemathesis printed for the case. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function parseCase(operation: string, text: string): FailedCase {
  const checks = [...text.matchAll(/^- (ST\d{3}) (.+)$/gm)].map(([, code = '', title = '']) => ({
    code,
    title: title.trim(),
    check: CHECK_NAMES[code] ?? title.trim(),
  }));
  const status = /^\[(\d{3})\] /m.exec(text)?.[1];
  const reproduce = text.split(/^Reproduce with:$/m)[1] ?? '';
  const curls = reproduce
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '));
  return {
    operation,
    caseId: /Test Case ID: (\S+)/.exec(text)?.[1] ?? '?',
    checks,
    status: status === undefined ? undefined : Number(status),
    curls,
    text,
  };
}

/** Every failing test case in a Schemathesis JUnit report. */
export function readJunitFailures(xml: string): FailedCase[] {
  const failures: FailedCase[] = [];
  for (const testcase of xml.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const operation = unescapeXml(testcase[1] ?? '');
    for (const failure of (testcase[2] ?? '').matchAll(/<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
      failures.push(parseCase(operation, unescapeXml(failure[2] ?? '')));
    }
  }
  return failures;
}

/** The number of test cases in the report (`tests="…"` of the suite). */
export function junitTestCount(xml: string): number {
  return Number(/<testsuite\b[^>]*\btests="(\d+)"/.exec(xml)?.[1] ?? 0);
}
