/**
 * `flotilla deploy render --env <env>` prints what `kustomize build` of the overlay prints:
 * the same objects, parsed, in the same order, for every environment (overlays.test.ts has
 * the API server admit its output too). An unknown environment is a usage error that
 * prints nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '@flotilla/testing';
import { EXIT } from '../../packages/cli/src/exit-codes.ts';
import { ENVIRONMENTS, kustomizeBuild, objectsOf, overlayDir } from './support/delivery.ts';

describe('flotilla deploy render', () => {
  for (const env of ENVIRONMENTS) {
    test(`--env ${env} prints the objects kustomize builds from overlays/${env}`, async () => {
      const [rendered, built] = await Promise.all([runCli(['deploy', 'render', '--env', env]), kustomizeBuild(overlayDir(env))]);
      assert.equal(rendered.code, 0, rendered.stderr);
      assert.equal(rendered.stderr, '');
      const expected = objectsOf(built);
      assert.ok(expected.length > 10, `overlays/${env} builds ${expected.length} objects`);
      assert.deepEqual(objectsOf(rendered.stdout), expected);
    });
  }

  test('an unknown environment is a usage error naming the known ones, with nothing on stdout', async () => {
    const result = await runCli(['deploy', 'render', '--env', 'qa']);
    assert.equal(result.code, EXIT.usage);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /unknown environment "qa": choose dev, prod, staging/);
  });

  test('--env is required', async () => {
    const result = await runCli(['deploy', 'render']);
    assert.equal(result.code, EXIT.usage);
    assert.match(result.stderr, /required option '--env <env>'/);
  });
});
