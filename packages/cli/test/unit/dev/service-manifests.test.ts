/** Which services `flotilla dev` runs: the `flotilla.dev` blocks of services/*\/package.json, read and checked. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, tempDir } from '@flotilla/testing';
import { checkEntries, devProcesses } from '../../../src/dev/processes.ts';
import { discoverServices, readDevBlock } from '../../../src/dev/service-manifests.ts';
import { UsageError } from '../../../src/exit-codes.ts';

/** A repository root with `services/<name>/package.json` holding each given manifest (a string is written as it is). */
function repository(services: Record<string, unknown>): { root: string; remove(): void } {
  const dir = tempDir('dev-manifests');
  for (const [name, manifest] of Object.entries(services)) {
    mkdirSync(join(dir.path, 'services', name), { recursive: true });
    if (manifest === undefined) continue; // a folder without package.json
    const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    writeFileSync(join(dir.path, 'services', name, 'package.json'), text);
  }
  return { root: dir.path, remove: dir.remove };
}

const block = (dev: unknown): Record<string, unknown> => ({ name: '@flotilla/x', flotilla: { dev } });

test('a package without a flotilla.dev block is not a dev process', () => {
  assert.equal(readDevBlock({ name: '@flotilla/x' }), undefined);
  assert.equal(readDevBlock({ name: '@flotilla/x', flotilla: {} }), undefined);
  assert.equal(readDevBlock('not an object'), undefined);
});

test('a block says whether the service serves gRPC; leaving grpc out means REST only', () => {
  assert.deepEqual(readDevBlock(block({ grpc: true })), { block: { grpc: true } });
  assert.deepEqual(readDevBlock(block({ grpc: false })), { block: { grpc: false } });
  assert.deepEqual(readDevBlock(block({})), { block: { grpc: false } });
});

test('a malformed block names every problem', () => {
  const problems = (manifest: unknown): string[] => {
    const read = readDevBlock(manifest);
    assert.ok(read !== undefined && 'problems' in read, JSON.stringify(manifest));
    return read.problems;
  };
  assert.deepEqual(problems({ flotilla: 'dev' }), ['"flotilla" must be an object, not "dev"']);
  assert.deepEqual(problems(block(true)), ['"flotilla.dev" must be an object like { "grpc": true }, not true']);
  assert.deepEqual(problems(block(null)), ['"flotilla.dev" must be an object like { "grpc": true }, not null']);
  assert.deepEqual(problems(block(['grpc'])), ['"flotilla.dev" must be an object like { "grpc": true }, not ["grpc"]']);
  assert.deepEqual(problems(block({ grpc: 'yes' })), ['"flotilla.dev.grpc" must be true or false, not "yes"']);
  assert.deepEqual(problems(block({ grpc: null })), ['"flotilla.dev.grpc" must be true or false, not null']);
  assert.deepEqual(problems(block({ grcp: true, port: 8084 })), [
    '"flotilla.dev.grcp" is not a setting (known: grpc)',
    '"flotilla.dev.port" is not a setting (known: grpc)',
  ]);
});

test('discovery: every services/* package with a block, by folder name; others left out', (t) => {
  const repo = repository({
    stock: block({ grpc: false }),
    accounts: block({ grpc: true }),
    tools: { name: '@flotilla/tools' },
    empty: undefined,
  });
  t.after(() => repo.remove());
  assert.deepEqual(discoverServices(repo.root), [
    { name: 'accounts', dir: 'services/accounts', grpc: true },
    { name: 'stock', dir: 'services/stock', grpc: false },
  ]);
  assert.deepEqual(
    devProcesses(repo.root).map((p) => p.name),
    ['accounts', 'stock', 'gateway'],
    'the gateway starts last, after what it routes to',
  );
});

test('discovery: malformed manifests are one usage error naming each file and problem', (t) => {
  const repo = repository({
    good: block({ grpc: true }),
    typo: block({ grcp: true }),
    broken: '{ "name": "@flotilla/broken", ',
    gateway: block({}),
    Upper: block({}),
  });
  t.after(() => repo.remove());
  assert.throws(
    () => discoverServices(repo.root),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      const lines = error.message.split('\n');
      assert.equal(lines[0], 'cannot start, a service manifest has a malformed "flotilla" block:');
      assert.match(error.message, /^ {2}services\/broken\/package\.json is not valid JSON: /m);
      assert.match(error.message, /^ {2}services\/typo\/package\.json: "flotilla\.dev\.grcp" is not a setting \(known: grpc\)$/m);
      assert.match(error.message, /^ {2}services\/gateway\/package\.json: the folder name "gateway" is taken by flotilla dev itself/m);
      assert.match(
        error.message,
        /^ {2}services\/Upper\/package\.json: the folder name is the service's name: invalid service name "Upper"/m,
      );
      assert.doesNotMatch(error.message, /services\/good/);
      assert.match(lines.at(-1) ?? '', /\{ "flotilla": \{ "dev": \{ "grpc": true \} \} \}/);
      return true;
    },
  );
});

test('no services folder: only the gateway', (t) => {
  const dir = tempDir('dev-manifests');
  t.after(() => dir.remove());
  assert.deepEqual(
    devProcesses(dir.path).map((p) => p.name),
    ['gateway'],
  );
});

test("this repository's services all carry the block, gRPC included", () => {
  const processes = devProcesses(repoRoot);
  for (const name of ['greeter', 'orders', 'users']) {
    assert.deepEqual(
      processes.find((p) => p.name === name),
      { name, dir: `services/${name}`, grpc: true },
    );
  }
  assert.equal(processes.at(-1)?.name, 'gateway');
});

test('a missing entry file is a usage error before anything starts: built bundles, or the source', (t) => {
  const repo = repository({ stock: block({}) });
  t.after(() => repo.remove());
  const specs = devProcesses(repo.root);
  assert.throws(
    () => checkEntries(repo.root, specs, []),
    (error: unknown) =>
      error instanceof UsageError &&
      error.message ===
        [
          'cannot start, entry files are missing:',
          '  services/stock/dist/bundle.mjs',
          '  packages/gateway/dist/bundle.mjs',
          'Build first: npm run build (npm start builds, then runs flotilla dev).',
        ].join('\n'),
  );
  mkdirSync(join(repo.root, 'services', 'stock', 'dist'));
  writeFileSync(join(repo.root, 'services', 'stock', 'dist', 'bundle.mjs'), '');
  assert.throws(() => checkEntries(repo.root, specs, []), /an entry file is missing:\n {2}packages\/gateway\/dist\/bundle\.mjs\n/);
  assert.throws(() => checkEntries(repo.root, specs, ['--conditions=@flotilla/source']), /services\/stock\/src\/main\.ts/);
  assert.doesNotThrow(() => checkEntries(repoRoot, devProcesses(repoRoot), ['--conditions=@flotilla/source']));
});
