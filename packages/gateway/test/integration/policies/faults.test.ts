/**
 * Fault injection in real gateway processes on a file config centre: a fault
 * switched on and off at runtime with the real `flotilla config set`, no
 * restart; the `x-flotilla-fault` header honoured in the `dev` namespace and
 * ignored in `prod`, where a config that would enable it is rejected by the
 * running gateway (and the header stays ignored); a malformed header is a 400.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { centreFlags, eventually, runCli } from '@flotilla/testing';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.ts';
import { BASE_YAML, writeAtomically } from '../support/gateway.ts';
import { echo, send, startUpstream, type Upstream } from '../support/http.ts';
import { adminJson, authYaml, guardOf, isProblem, problemOf, problemType } from '../support/policies.ts';

interface ConfigStatus {
  appliedVersion: number | null;
  rejected: { version: number | null; reason: string } | null;
}

describe('gateway fault injection', () => {
  const centre = centreFlags('file');
  let upstream: Upstream;
  let dev: ChildGateway;
  let prod: ChildGateway;

  /** The gateway's whole document; `resilience` is the part each step changes. */
  const gatewayYaml = (resilience: string): string => `proxy: { accessLog: false }
shedding: { enabled: false }
upstreams:
  orders: { instances: ['${upstream.url}'] }
${authYaml()}resilience:
  defaults: { breaker: { enabled: false } }
${resilience}routes:
  - { name: orders, path: /api/orders/**, upstream: orders, stripPrefix: /api }
`;
  /** `flotilla config set` of the dev gateway's document, as an operator would. */
  const configSet = async (resilience: string, message: string): Promise<void> => {
    const set = await runCli(['config', 'set', '--ns', 'dev', '--service', 'gateway', ...centre.args, '-m', message], {
      input: BASE_YAML + gatewayYaml(resilience),
    });
    assert.equal(set.code, 0, set.stderr);
  };
  /** GET through the gateway, and whether the upstream saw it. */
  const through = async (gateway: ChildGateway, headers: Record<string, string> = {}) => {
    const before = upstream.seen.length;
    const answer = await send(`${gateway.url}/api/orders/x`, { headers });
    return { answer, reached: upstream.seen.length > before };
  };

  before(async () => {
    upstream = await startUpstream(echo);
    const folders = { configDir: centre.env.FLOTILLA_CONFIG_DIR, home: centre.env.FLOTILLA_HOME };
    const started = await Promise.allSettled([
      startChildGateway(gatewayYaml(''), { namespace: 'dev', ...folders }),
      startChildGateway(gatewayYaml(''), { namespace: 'prod', ...folders }),
    ]);
    [dev, prod] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined)) as [ChildGateway, ChildGateway];
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });
  after(async () => {
    await Promise.all([dev?.stop(), prod?.stop()]);
    await upstream?.close();
    rmSync(centre.dir, { recursive: true, force: true });
  });

  test('a fault set with `flotilla config set` applies to the running gateway, and is switched off the same way', async () => {
    const pid = dev.pid;
    assert.equal((await through(dev)).answer.status, 200);

    await configSet('  upstreams:\n    orders: { fault: { abort: { status: 503, percent: 100 } } }\n', 'orders: abort everything');
    const faulted = await eventually(
      async () => {
        const { answer, reached } = await through(dev);
        return answer.status === 503 && !reached ? answer : undefined;
      },
      { timeoutMs: 20_000, message: 'the injected fault' },
    );
    const problem = problemOf(faulted);
    assert.equal(problem.type, problemType('unavailable'));
    assert.match(problem.detail, /Injected fault: abort with 503 \(fault rule for orders\)/);
    assert.deepEqual((await guardOf(dev.url, 'orders'))?.fault, { abort: { status: 503, percent: 100 } });

    await configSet('', 'orders: faults off');
    await eventually(async () => (await through(dev)).answer.status === 200, { timeoutMs: 20_000, message: 'the fault switched off' });
    assert.equal((await through(dev)).reached, true);
    assert.equal(dev.pid, pid);
    assert.equal(dev.process.exitCode, null, 'the same process throughout: no restart');
  });

  test('dev: x-flotilla-fault aborts a request without calling the upstream; a malformed one is a 400', async () => {
    const aborted = await through(dev, { 'x-flotilla-fault': 'abort=503' });
    assert.equal(aborted.answer.status, 503);
    assert.match(problemOf(aborted.answer).detail, /Injected fault: abort with 503 \(x-flotilla-fault header\)/);
    assert.equal(aborted.reached, false);

    const malformed = await through(dev, { 'x-flotilla-fault': 'abort=999' });
    assert.equal(malformed.answer.status, 400, malformed.answer.body);
    assert.ok(isProblem(malformed.answer, 'bad-request'));
    assert.equal(malformed.reached, false);
    assert.equal((await through(dev)).answer.status, 200, 'the gateway is still serving');
  });

  test('prod: the header is ignored; a config enabling it is rejected by the running gateway, and the header stays ignored', async (t) => {
    const ignored = await through(prod, { 'x-flotilla-fault': 'abort=503' });
    assert.equal(ignored.answer.status, 200, ignored.answer.body);
    assert.equal(ignored.reached, true);
    const faults = (await adminJson<{ faults: { header: boolean; reason: string } }>(prod.url, '/admin/breakers')).faults;
    assert.equal(faults.header, false);
    assert.match(faults.reason, /refused in the prod namespace/);

    const applied = (await adminJson<ConfigStatus>(prod.url, '/admin/config')).appliedVersion;
    // An edit of the centre's working copy (the CLI's path is covered above and costs a process start).
    writeAtomically(
      join(centre.env.FLOTILLA_CONFIG_DIR!, 'prod', 'gateway.yaml'),
      BASE_YAML + gatewayYaml('  faults: { headerEnabled: true }\n'),
    );
    const status = await eventually(
      async () => {
        const now = await adminJson<ConfigStatus>(prod.url, '/admin/config');
        return now.rejected !== null ? now : undefined;
      },
      { timeoutMs: 20_000, message: 'the prod gateway rejecting the change' },
    );
    t.diagnostic(`rejected: ${status.rejected!.reason}`);
    assert.match(status.rejected!.reason, /resilience\.faults\.headerEnabled = true: Fault injection is refused in the prod namespace/);
    assert.equal(status.appliedVersion, applied, 'the previous config stays in force');

    const still = await through(prod, { 'x-flotilla-fault': 'abort=503' });
    assert.equal(still.answer.status, 200);
    assert.equal(still.reached, true);
  });
});
