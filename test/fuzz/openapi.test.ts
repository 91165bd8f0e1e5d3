/**
 * Property-based fuzzing of every HTTP server of the system, driven by the
 * server's own OpenAPI document, with Schemathesis (pinned in
 * scripts/test-services/schemathesis). Users, orders, greeter and the gateway
 * run as real processes on SQLite, then once more with users and orders on the
 * harness's PostgreSQL. Each document is fuzzed with every check and every
 * phase (stateful included); then the databases are read directly for what
 * the run must not leave behind. See test/fuzz/README.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingServer, openApiProblems, tempDir, type TempDir } from '@flotilla/testing';
import { ensureSchemathesis, schemathesisVersion } from '../../scripts/test-services/schemathesis.ts';
import { checkConsistency } from './support/consistency.ts';
import { devAuthorization } from './support/credentials.ts';
import { describeDropped, describeFailures, describeRun } from './support/describe.ts';
import { runSchemathesis } from './support/schemathesis-run.ts';
import { type DatabaseKind, type ServiceName, startFuzzSystem, type FuzzSystem } from './support/system.ts';

/** The documents fuzzed per database: greeter has no database, so it is fuzzed once. */
const ROUNDS: Array<{ database: DatabaseKind; servers: ServiceName[] }> = [
  { database: 'sqlite', servers: ['users', 'orders', 'greeter', 'gateway'] },
  { database: 'postgres', servers: ['users', 'orders', 'gateway'] },
];

const log = (message: string): void => {
  process.stderr.write(`[fuzz] ${message}\n`);
};

for (const { database, servers } of ROUNDS) {
  const unavailable =
    database === 'postgres' && !process.env.FLOTILLA_TEST_POSTGRES_URL ? missingServer('FLOTILLA_TEST_POSTGRES_URL') : undefined;

  describe(`OpenAPI fuzzing on ${database}`, { ...(unavailable ?? {}), timeout: 900_000 }, () => {
    let st: string;
    let system: FuzzSystem;
    let work: TempDir;
    // FLOTILLA_FUZZ_REPORTS keeps Schemathesis's reports (JUnit, JSON, its output) in a folder of your choice.
    const keptReports = process.env.FLOTILLA_FUZZ_REPORTS;
    const authorization = devAuthorization();

    before(async () => {
      st = await ensureSchemathesis(log);
      work = keptReports === undefined ? tempDir('fuzz') : { path: keptReports, remove: () => {} };
      system = await startFuzzSystem(database);
      log(
        `Schemathesis ${schemathesisVersion()}; ${database}: ${Object.entries(system.urls)
          .map(([name, url]) => `${name} ${url}`)
          .join(', ')}`,
      );
    });

    after(async () => {
      await system?.stop();
      work?.remove();
    });

    for (const server of servers) {
      test(`${server}: /openapi.json is valid OpenAPI 3.1`, async () => {
        const document = await (await fetch(`${system.urls[server]}/openapi.json`)).json();
        assert.deepEqual(await openApiProblems(document), []);
      });

      test(`${server}: Schemathesis finds no failure in /openapi.json`, async (t) => {
        const run = await runSchemathesis(
          st,
          { name: `${database}/${server}`, url: system.urls[server] },
          { Authorization: authorization },
          work.path,
          t.signal,
        );
        log(describeRun(run));
        for (const line of describeDropped(run, authorization)) log(line);
        assert.equal(run.dropped.length, run.filtered, 'every failure Schemathesis filtered is one hooks.py recorded');
        assert.deepEqual(
          run.errors,
          [],
          `Schemathesis errors for ${run.target.name}:\n${run.errors.join('\n')}\n${run.output.slice(-4000)}`,
        );
        assert.ok(run.generated > 0, `Schemathesis generated no test case for ${run.target.name}:\n${run.output.slice(-4000)}`);
        assert.equal(run.failures.length, 0, describeFailures(run, authorization));
        assert.equal(run.exitCode, 0, `st exited with ${run.exitCode} without a failure in its report:\n${run.output.slice(-4000)}`);
      });
    }

    test('the databases hold nothing inconsistent afterwards', async () => {
      const { violations, rows } = await checkConsistency(system);
      log(
        `${database} rows after fuzzing: ${Object.entries(rows)
          .map(([what, count]) => `${count} ${what}`)
          .join(', ')}`,
      );
      assert.deepEqual(violations, [], `${violations.length} inconsistencies in the ${database} databases:\n${violations.join('\n')}`);
    });
  });
}
