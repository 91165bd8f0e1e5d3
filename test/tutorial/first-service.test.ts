/**
 * README.md's "Your first service", run as written in a copy of this
 * repository: each command of its ```sh blocks in order, its ```diff applied
 * with `git apply`, and its promises checked (the demo users, the scaffolded
 * service, a 201 with the new field through the gateway, the rate limit
 * changed while the system runs, a clean doctor). Only what cannot run here
 * as in a reader's terminal is replaced, and nothing else:
 *
 *  - `npm start` runs in the background, as in a terminal of its own, and the
 *    next command waits for its banner; `<!-- tutorial: ctrl-c -->` sends it
 *    Ctrl-C (SIGINT to its process group) and waits until everything exited;
 *  - `npm install` links the workspaces (the copy's node_modules are this
 *    repository's, and nothing is downloaded);
 *  - every dev port is moved to a free one (the services' own
 *    FLOTILLA_<SERVICE>__…__PORT overrides) and `127.0.0.1:<dev port>` in a
 *    command follows it, so the run does not depend on 8080-8084 being free.
 *
 * Commands run with `sh -c` in a clean environment: no FLOTILLA_* variable of
 * the test run, the pinned Node and the copy's node_modules/.bin first on PATH.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { eventually, processesMarked, repoRoot } from '@flotilla/testing';
import { copyRepository, type RepositoryCopy } from '../../packages/cli/test/integration/new/support/repository-copy.ts';
import { type Background, startInBackground } from './support/background.ts';
import { ownFlotillaBin } from './support/copy-bin.ts';
import { DevPorts } from './support/dev-ports.ts';
import { tutorialSteps } from './support/steps.ts';

const HEADING = '## Your first service';
/** A cold build of the whole repository and the start of every process, on a busy machine. */
const BANNER_TIMEOUT_MS = 480_000;
const STOP_TIMEOUT_MS = 60_000;
/** How long a promise about a running system may take to come true (a config change applied, an instance discovered). */
const SETTLE_TIMEOUT_MS = 30_000;

interface Promised {
  /** Which command, as written in the README. */
  command: RegExp;
  /** What its output shows. */
  output: RegExp[];
  /** A fact of the running system that may take a moment: run the command again until it shows (only idempotent ones, or ones that change nothing until they succeed). */
  settles?: boolean;
}

const PROMISES: Promised[] = [
  { command: /^curl -s http:\/\/127\.0\.0\.1:8080\/api\/users$/, output: [/"name":"Ada Lovelace"/], settles: true },
  { command: /^curl -s http:\/\/127\.0\.0\.1:8080\/api\/hello\/world$/, output: [/"message":/], settles: true },
  { command: /^npx flotilla registry ls$/, output: [/^gateway\s/m, /^users\s/m] },
  { command: /^npx flotilla new service inventory --gateway-route$/, output: [/^created services\/inventory /m] },
  { command: /--test 'services\/inventory\/test\/\*\*\/\*\.test\.ts'$/, output: [/^ℹ fail 0$/m] },
  // The gateway may not have seen the new instance register yet; an answer without a 201 created nothing.
  {
    command: /^curl -si -X POST http:\/\/127\.0\.0\.1:8080\/api\/inventory\/items /,
    output: [/^HTTP\/1\.1 201 Created\r?$/m, /"name":"Blue Widget","slug":"blue-widget"/],
    settles: true,
  },
  { command: /^curl -s http:\/\/127\.0\.0\.1:8080\/api\/inventory\/items$/, output: [/"slug":"blue-widget"/], settles: true },
  {
    command: /^npx flotilla traces --limit 3$/,
    output: [/^TRACE ID +STARTED/m, /gateway,inventory +gateway GET \/api\/inventory\//],
    settles: true,
  },
  {
    command: /^npx flotilla traces last$/,
    output: [/^gateway server GET \/api\/inventory\//m, /^ +inventory server /m],
    settles: true,
  },
  {
    command: /^curl -s http:\/\/127\.0\.0\.1:8080\/metrics \| grep /,
    output: [/^http_server_request_duration_seconds_count\{.*http_route="\/api\/inventory\/\*\*".*\} [1-9]/m],
  },
  { command: /^npx flotilla config set --ns dev --service gateway gateway\.yaml -m 'api: 5/, output: [/valid against the gateway schema/] },
  { command: /grep -i '\^ratelimit'$/, output: [/^ratelimit-policy: "api";q=5;w=10\r?$/m], settles: true },
  { command: /^for i in 1 2 3 4 5 6; do curl /, output: [/^200 .*429 $/m] },
  { command: /^npx flotilla config history --ns dev --service gateway$/, output: [/api: 5 requests per 10 s/, /api: back to 1000/] },
  { command: /^npx flotilla doctor$/, output: [/^All checks passed\.$/m] },
];

/** In the environment of every process the tutorial starts, so whatever is left of them can be found. */
const MARKER = `TUTORIAL_RUN_ID=${randomUUID()}`;
/** Only whole lines are replaced: anything else that installs or starts would run for real (npm install would write through the copy's links into this repository's node_modules). */
const REPLACED_ONLY_ALONE = /\bnpm\s+(install|i|ci|start|run\s+start)\b/;

let copy: RepositoryCopy | undefined;
let running: Background | undefined;
after(async () => {
  await running?.kill();
  for (const pid of processesMarked(MARKER)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  copy?.remove();
});

test('README "Your first service", command by command', { timeout: 1_200_000 }, async (t) => {
  const steps = tutorialSteps(readFileSync(join(repoRoot, 'README.md'), 'utf8'), HEADING);
  const commands = steps.flatMap((s) => (s.kind === 'command' ? [s.command] : []));
  assert.deepEqual(
    commands.filter((c) => c === 'npm start'),
    ['npm start', 'npm start'],
    'the tutorial starts the system twice',
  );
  for (const command of commands) {
    if (command !== 'npm install' && command !== 'npm start' && REPLACED_ONLY_ALONE.test(command))
      assert.fail(`"${command}": keep npm install and npm start on lines of their own, which this test replaces`);
  }
  for (const promise of PROMISES) {
    assert.ok(
      commands.some((c) => promise.command.test(c)),
      `README no longer has a command matching ${promise.command}: update PROMISES`,
    );
  }

  copy = copyRepository();
  const root = copy.root;
  ownFlotillaBin(root);
  const ports = new DevPorts(root);
  /** A reader's shell: none of this run's FLOTILLA_* settings, the dev ports moved, no npm update check. */
  const shellEnv = (): Record<string, string | undefined> => {
    const env: Record<string, string | undefined> = { npm_config_update_notifier: 'false' };
    for (const key of Object.keys(process.env)) if (key.startsWith('FLOTILLA_')) env[key] = undefined;
    const [name, value] = MARKER.split('=') as [string, string];
    return { ...env, ...ports.env(), [name]: value };
  };
  const began = performance.now();
  const diagnostic = (what: string, since: number): void => t.diagnostic(`${what}: ${Math.round(performance.now() - since)} ms`);

  for (const step of steps) {
    const since = performance.now();
    if (step.kind === 'ctrl-c') {
      assert.ok(running !== undefined, 'the tutorial says Ctrl-C, but nothing runs');
      const code = await running.ctrlC(STOP_TIMEOUT_MS);
      assert.match(running.output(), /all processes stopped/, 'flotilla dev stopped every process');
      assert.ok(code === 0 || code === null || code === 130, `npm start ended with ${code}`);
      running = undefined;
      diagnostic('Ctrl-C', since);
      continue;
    }
    if (step.kind === 'patch') {
      writeFileSync(join(root, 'tutorial.patch'), step.patch);
      const applied = await copy.run('git', ['apply', '--verbose', 'tutorial.patch'], shellEnv());
      rmSync(join(root, 'tutorial.patch'));
      assert.equal(applied.code, 0, `the tutorial's diff does not apply:\n${applied.output}`);
      diagnostic('git apply', since);
      continue;
    }

    const { command } = step;
    await ports.refresh();
    const written = ports.rewrite(command);
    if (command === 'npm start') {
      assert.equal(running, undefined, 'npm start while the system still runs');
      running = startInBackground(command, {
        cwd: root,
        env: withoutUnset({ ...process.env, PATH: pathOf(root), ...shellEnv() }),
        marker: MARKER,
      });
      // flotilla dev's first line: the build is done.
      await running.printed(/Node\.js v\d+\.\d+\.\d+ \(/, BANNER_TIMEOUT_MS);
      diagnostic(`${command}: built`, since);
      await running.printed(/Ctrl-C stops everything\./, BANNER_TIMEOUT_MS);
      checkBanner(running.output(), root, ports);
      diagnostic(command, since);
      continue;
    }
    if (command === 'npm install') {
      for (const top of ['packages', 'services']) {
        for (const name of readdirSync(join(root, top)))
          if (existsSync(join(root, top, name, 'package.json'))) copy.linkWorkspace(`${top}/${name}`);
      }
      diagnostic(`${command} (workspaces linked)`, since);
      continue;
    }

    const promised = PROMISES.filter((p) => p.command.test(command));
    const run = async (): Promise<{ ok: boolean; output: string; code: number }> => {
      const result = await (copy as RepositoryCopy).run('sh', ['-c', written], shellEnv());
      return { ok: result.code === 0 && promised.every((p) => p.output.every((o) => o.test(result.output))), ...result };
    };
    let result = await run();
    if (!result.ok && promised.some((p) => p.settles === true)) {
      // Waited on the fact itself; on time-out the last attempt's output explains the failure below.
      await eventually(
        async () => {
          result = await run();
          return result.ok;
        },
        { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 250, message: `"${written}" to show what the tutorial promises` },
      ).catch(() => undefined);
    }
    assert.equal(
      result.code,
      0,
      `"${written}" failed:\n${result.output}${running === undefined ? '' : `\n--- npm start:\n${running.output().slice(-4_000)}`}`,
    );
    for (const expected of promised.flatMap((p) => p.output)) assert.match(result.output, expected, `"${written}"`);
    diagnostic(command, since);
  }

  assert.equal(running, undefined, 'the tutorial ends with the system stopped');
  assert.deepEqual(processesMarked(MARKER), [], 'no process of the tutorial is left');
  diagnostic('the whole tutorial', began);
});

/** The banner lists every service of the copy that carries a flotilla.dev block, on the port it was moved to, and the gateway. */
function checkBanner(output: string, root: string, ports: DevPorts): void {
  const names = readdirSync(join(root, 'services'))
    .filter((name) => existsSync(join(root, 'services', name, 'package.json')))
    .filter((name) => 'flotilla' in (JSON.parse(readFileSync(join(root, 'services', name, 'package.json'), 'utf8')) as object))
    .sort();
  for (const name of [...names, 'gateway']) {
    const url = `http://127.0.0.1:${ports.portOf(`${name}.http`)}`;
    assert.match(output, new RegExp(`^ {2}${name} +${url} +\\(docs ${url}/docs, health ${url}/readyz\\)$`, 'm'), `${name} in the banner`);
  }
}

/** The pinned Node first, then the copy's programs (its own `flotilla`), as RepositoryCopy.run puts them. */
function pathOf(root: string): string {
  return [dirname(process.execPath), join(root, 'node_modules', '.bin'), process.env.PATH].join(':');
}

function withoutUnset(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) as NodeJS.ProcessEnv;
}
