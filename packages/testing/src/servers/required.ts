/**
 * `npm test` runs the suites with every server of scripts/test-services and
 * FLOTILLA_TEST_REQUIRE_SERVICES=1: a server missing then fails the suite. A
 * quick local run without them skips what needs one instead.
 */
export const servicesRequired = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';

/** A reason to skip for the harness server `variable` names, which is not set; throws instead when servers are required. */
export function missingServer(variable: string): { skip: string } {
  if (servicesRequired)
    throw new Error(`${variable} is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the test servers (scripts/test-services)`);
  return { skip: `${variable} not set (run under scripts/test-services)` };
}
