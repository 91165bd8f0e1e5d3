/**
 * `flotilla new service` in a copy of this repository: the scaffolded service
 * passes biome, the type check, buf lint and its own tests, the regenerated
 * contracts match a fresh `npm run gen`, and it serves when started, directly
 * and (with --gateway-route) through the gateway. A bad or taken name is a
 * usage error that changes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { eventually, runCli, type ServiceProcess, startServiceProcess } from '@flotilla/testing';
import { type CommandResult, copyRepository, type RepositoryCopy } from './support/repository-copy.ts';

const NODE = process.execPath;

// A bound against a hang, not a speed check: type checks and test runs of three scaffolded services take 3-5 min on a busy 2-core machine.
describe('flotilla new service', { timeout: 900_000 }, () => {
  let copy: RepositoryCopy;
  before(() => {
    copy = copyRepository();
  });
  after(() => copy?.remove());

  /** Runs a step, names it and its time in the test's diagnostics, and fails with its output. */
  const step = async (t: TestContext, what: string, program: string, args: string[]): Promise<CommandResult> => {
    const began = performance.now();
    const result = await copy.run(program, args);
    t.diagnostic(`${what}: ${Math.round(performance.now() - began)} ms`);
    assert.equal(result.code, 0, `${what} failed:\n${result.output}`);
    return result;
  };
  const bin = (name: string): string => join(copy.root, 'node_modules', '.bin', name);

  /** tsc over the service's tests (they import its src and the kit from source). */
  const typeCheckTests = (t: TestContext, names: string[]): Promise<CommandResult> => {
    const tsconfig = `tsconfig.${names.join('-')}-tests.json`;
    writeFileSync(
      join(copy.root, tsconfig),
      JSON.stringify({ extends: './tsconfig.test.json', include: names.map((name) => `services/${name}/test/**/*.ts`) }),
    );
    return step(t, `tsc (${names.join(', ')} tests)`, bin('tsc'), ['-p', tsconfig]);
  };

  const startService = (name: string, home: string, grpc: boolean): Promise<ServiceProcess> =>
    startServiceProcess(join(copy.root, 'services', name, 'src', 'main.ts'), name, {
      cwd: copy.root,
      env: {
        PATH: process.env.PATH,
        FLOTILLA_ENV: 'dev',
        FLOTILLA_CONFIG_DIR: join(copy.root, 'config'),
        FLOTILLA_HOME: home,
        [`FLOTILLA_${name.toUpperCase()}__HTTP__PORT`]: '0',
        ...(grpc ? { [`FLOTILLA_${name.toUpperCase()}__GRPC__PORT`]: '0' } : {}),
      },
    });

  test('an invalid name is a usage error and changes nothing', async () => {
    const before = copy.snapshot();
    for (const name of ['Inventory', 'x', 'in--ventory', 'shared']) {
      const result = await runCli(['new', 'service', name], { cwd: copy.root });
      assert.equal(result.code, 1, `${name}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`invalid service name "${name}"`));
    }
    assert.deepEqual(copy.snapshot(), before);
  });

  test('inventory --gateway-route: checked, tested, and serving directly and through the gateway', async (t) => {
    const began = performance.now();
    const created = await runCli(['new', 'service', 'inventory', '--gateway-route', '--json'], { cwd: copy.root });
    t.diagnostic(`flotilla new service inventory: ${Math.round(performance.now() - began)} ms`);
    assert.equal(created.code, 0, created.stderr);
    const result = JSON.parse(created.stdout) as {
      ports: { http: number; grpc: number };
      created: string[];
      changed: string[];
      warnings: string[];
    };
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.ports, { http: 8084, grpc: 9084 });
    for (const path of [
      'services/inventory/src/store.ts',
      'proto/flotilla/inventory/v1/inventory.proto',
      'packages/contracts/src/inventory.ts',
    ])
      assert.ok(result.created.includes(path), path);
    for (const path of ['tsconfig.json', 'scripts/bundle.mjs', 'scripts/images/images.ts', 'config/dev/gateway.yaml'])
      assert.ok(result.changed.includes(path), path);
    copy.linkWorkspace('services/inventory');
    const manifest = JSON.parse(readFileSync(join(copy.root, 'services/inventory/package.json'), 'utf8')) as { flotilla: unknown };
    assert.deepEqual(manifest.flotilla, { dev: { grpc: true } });

    await step(t, 'biome ci', bin('biome'), [
      'ci',
      'services/inventory',
      'packages/contracts/src/inventory.ts',
      'packages/contracts/src/index.ts',
      'scripts/bundle.mjs',
      'scripts/images/images.ts',
      'tsconfig.json',
      '.dependency-cruiser.cjs',
    ]);
    await step(t, 'tsc -b services/inventory', bin('tsc'), ['-b', 'services/inventory']);
    await typeCheckTests(t, ['inventory']);
    await step(t, 'buf lint + format', bin('buf'), ['lint', 'proto']);
    assert.equal((await step(t, 'buf format -d', bin('buf'), ['format', '-d', 'proto'])).stdout, '');
    await step(t, 'dependency rules', bin('depcruise'), [
      'services/inventory/src',
      '--config',
      '.dependency-cruiser.cjs',
      '--output-type',
      'err',
    ]);
    await step(t, 'contracts match a fresh generation', NODE, [
      '--test',
      'packages/contracts/test/integration/generated-code-is-current.test.ts',
    ]);
    await step(t, "inventory's own tests", NODE, ['--conditions=@flotilla/source', '--test', 'services/inventory/test/**/*.test.ts']);

    const home = join(copy.root, '.flotilla-run');
    const inventory = await startService('inventory', home, true);
    t.after(() => inventory.stop());
    const posted = await fetch(`${inventory.url}/inventory/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bolt' }),
    });
    assert.equal(posted.status, 201, await posted.clone().text());
    const item = (await posted.json()) as { id: string; name: string };
    assert.equal(item.name, 'Bolt');

    const gateway = await startServiceProcess(join(copy.root, 'packages', 'gateway', 'src', 'main.ts'), 'gateway', {
      cwd: copy.root,
      env: {
        PATH: process.env.PATH,
        FLOTILLA_ENV: 'dev',
        FLOTILLA_CONFIG_DIR: join(copy.root, 'config'),
        FLOTILLA_HOME: home,
        FLOTILLA_GATEWAY__HTTP__PORT: '0',
      },
    });
    t.after(() => gateway.stop());
    // The gateway finds inventory through the local registry, as it finds users or orders.
    const through = await eventually(
      async () => {
        const response = await fetch(`${gateway.url}/api/inventory/items/${item.id}`);
        return response.status === 200 ? ((await response.json()) as { id: string; name: string }) : undefined;
      },
      { timeoutMs: 20_000, message: 'GET /api/inventory/items/{id} through the gateway' },
    );
    assert.deepEqual({ id: through.id, name: through.name }, { id: item.id, name: 'Bolt' });
  });

  test('a taken name is a usage error and changes nothing', async () => {
    const before = copy.snapshot();
    const again = await runCli(['new', 'service', 'inventory', '--gateway-route'], { cwd: copy.root });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /service "inventory" already exists: services\/inventory is there/);
    const routed = await runCli(['new', 'service', 'users', '--no-grpc'], { cwd: copy.root });
    assert.equal(routed.code, 1);
    assert.deepEqual(copy.snapshot(), before);
  });

  test('pricing --no-database --no-grpc: checked, tested and serving', async (t) => {
    const created = await runCli(['new', 'service', 'pricing', '--no-database', '--no-grpc', '--json'], { cwd: copy.root });
    assert.equal(created.code, 0, created.stderr);
    const result = JSON.parse(created.stdout) as { ports: { http: number }; created: string[]; warnings: string[] };
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.ports, { http: 8085 });
    assert.ok(!result.created.some((path) => /store|migrations|repository|grpc|proto|contracts/.test(path)), result.created.join('\n'));
    copy.linkWorkspace('services/pricing');

    await step(t, 'biome ci', bin('biome'), ['ci', 'services/pricing', 'scripts', 'tsconfig.json']);
    await step(t, 'tsc -b services/pricing', bin('tsc'), ['-b', 'services/pricing']);
    await typeCheckTests(t, ['pricing']);
    await step(t, "pricing's own tests", NODE, ['--conditions=@flotilla/source', '--test', 'services/pricing/test/**/*.test.ts']);

    const pricing = await startService('pricing', join(copy.root, '.flotilla-run'), false);
    t.after(() => pricing.stop());
    const response = await fetch(`${pricing.url}/pricing/hello/Ada`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { message: 'Hello, Ada!' });
  });

  test('the other two combinations, with dashed names: checked and tested', async (t) => {
    for (const args of [
      ['stock-levels', '--no-grpc'],
      ['hello-world', '--no-database'],
    ]) {
      const created = await runCli(['new', 'service', ...args, '--json'], { cwd: copy.root });
      assert.equal(created.code, 0, created.stderr);
      assert.deepEqual((JSON.parse(created.stdout) as { warnings: string[] }).warnings, []);
      copy.linkWorkspace(`services/${args[0]}`);
    }
    assert.match(
      readFileSync(join(copy.root, 'services/stock-levels/test/integration/support/running.ts'), 'utf8'),
      /FLOTILLA_STOCK_LEVELS__DATABASE__DSN/,
    );
    assert.match(
      readFileSync(join(copy.root, 'proto/flotilla/hello_world/v1/hello_world.proto'), 'utf8'),
      /^package flotilla\.hello_world\.v1;$/m,
    );

    await step(t, 'biome ci', bin('biome'), [
      'ci',
      'services/stock-levels',
      'services/hello-world',
      'packages/contracts/src',
      'scripts',
      'tsconfig.json',
    ]);
    await step(t, 'tsc -b', bin('tsc'), ['-b', 'services/stock-levels', 'services/hello-world']);
    await typeCheckTests(t, ['stock-levels', 'hello-world']);
    await step(t, 'buf lint', bin('buf'), ['lint', 'proto']);
    await step(t, 'contracts match a fresh generation', NODE, [
      '--test',
      'packages/contracts/test/integration/generated-code-is-current.test.ts',
    ]);
    await step(t, 'their own tests', NODE, [
      '--conditions=@flotilla/source',
      '--test',
      'services/stock-levels/test/**/*.test.ts',
      'services/hello-world/test/**/*.test.ts',
    ]);
  });
});
