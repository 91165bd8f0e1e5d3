/** Hot reload inside a service: startConfigCentre + attachConfigReload over both backends. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Type from 'typebox';
import { attachConfigReload, startConfigCentre, type ConfigReload, type ConfigStore } from '@flotilla/config';
import { serviceConfig } from '@flotilla/service';
import { createLogger } from '@flotilla/kit';
import { captureLogs, eventually, testBackends } from '@flotilla/testing';
import { createTestStore, type TestStore } from './test-stores.ts';

const schema = serviceConfig({
  limits: Type.Object(
    {
      rps: Type.Integer({ default: 10, minimum: 1 }),
      burst: Type.Integer({ default: 5, minimum: 0, 'x-restart': true }),
    },
    { additionalProperties: false, default: {} },
  ),
  upstream: Type.Object({ token: Type.String({ default: 'none' }) }, { additionalProperties: false, default: {} }),
});

for (const backend of testBackends()) {
  describe(`hot reload on the ${backend} backend`, () => {
    let t: TestStore;
    let store: ConfigStore;
    before(async () => {
      t = await createTestStore(backend);
      store = t.store;
    });
    after(() => t.cleanup());

    async function startReloading(service: string, namespace = 'dev', env: Record<string, string> = {}) {
      const logs = captureLogs();
      const centre = await startConfigCentre({ service, schema, namespace, store, env, dir: `${t.dir}/config` });
      const logger = createLogger({ service, level: centre.value.log.level, destination: logs.stream });
      const reload = await attachConfigReload({ centre, logger });
      return { centre, logger, logs, reload };
    }

    async function waitForVersion(reload: ConfigReload, version: number, field: 'appliedVersion' | 'sharedVersion' = 'appliedVersion') {
      return eventually(() => reload.status()[field] === version, { timeoutMs: 5_000, message: `${field} ${version}` });
    }

    test('a valid change of log.level is applied live and reported in the status', async () => {
      await store.set('dev', 'alpha', 'log:\n  level: info\n', { expectedVersion: 0 });
      const { centre, logger, logs, reload } = await startReloading('alpha');
      try {
        assert.equal(logger.level, 'info');
        assert.equal(reload.status().appliedVersion, 1);
        const seen: unknown[] = [];
        reload.onChange('limits.rps', (value) => seen.push(value));
        await store.set('dev', 'alpha', 'log:\n  level: debug\nlimits:\n  rps: 50\n', { expectedVersion: 1 });
        await waitForVersion(reload, 2);
        assert.equal(logger.level, 'debug');
        assert.deepEqual(seen, [50]);
        assert.equal(centre.watcher.config.limits.rps, 50);
        const status = reload.status();
        assert.equal(status.reloads, 1);
        assert.deepEqual(status.pendingRestart, []);
        const line = logs.withAction('config-applied')[0];
        assert.ok(line, 'an ECS line records the applied change');
        assert.deepEqual((line.config as { changed: string[] }).changed.sort(), ['limits.rps', 'log.level']);
      } finally {
        await reload.close();
      }
    });

    test('an invalid change is rejected: nothing applied, old config in force, rejection logged and in the status', async () => {
      await store.set('dev', 'beta', 'log:\n  level: warn\nlimits:\n  rps: 7\n', { expectedVersion: 0 });
      const { centre, logger, logs, reload } = await startReloading('beta');
      try {
        const seen: unknown[] = [];
        reload.onChange('limits.rps', (value) => seen.push(value));
        // log.level is fine but limits.rps breaks the schema: the whole change is refused.
        await store.set('dev', 'beta', 'log:\n  level: debug\nlimits:\n  rps: 0\n', { expectedVersion: 1 });
        await eventually(() => reload.status().rejected !== null, { timeoutMs: 5_000, message: 'the rejection' });
        const status = reload.status();
        assert.equal(status.rejections, 1);
        assert.equal(status.rejected?.version, 2);
        assert.match(status.rejected?.reason ?? '', /limits\.rps = 0: must be greater or equal to 1|limits\.rps/);
        assert.equal(status.appliedVersion, 1);
        assert.equal(logger.level, 'warn');
        assert.equal(centre.watcher.config.limits.rps, 7);
        assert.deepEqual(seen, []);
        const line = logs.withAction('config-rejected')[0];
        assert.ok(line, 'an ECS error line records the rejection');
        assert.equal(line['log.level'], 'error');

        // The next valid version applies and clears the rejection.
        await store.set('dev', 'beta', 'log:\n  level: debug\nlimits:\n  rps: 9\n', { expectedVersion: 2 });
        await waitForVersion(reload, 3);
        assert.equal(reload.status().rejected, null);
        assert.equal(logger.level, 'debug');
        assert.deepEqual(seen, [9]);
      } finally {
        await reload.close();
      }
    });

    test('keys that need a restart are reported pending, not applied', async () => {
      await store.set('dev', 'gamma', 'http:\n  port: 7001\n', { expectedVersion: 0 });
      const { centre, reload } = await startReloading('gamma');
      try {
        reload.onChange('limits', () => undefined); // live handler for limits.*, but burst is x-restart
        await store.set('dev', 'gamma', 'http:\n  port: 7002\nlimits:\n  burst: 9\n  rps: 20\n', {
          expectedVersion: 1,
        });
        await waitForVersion(reload, 2);
        assert.deepEqual(reload.status().pendingRestart.sort(), ['http.port', 'limits.burst']);
        assert.equal(centre.watcher.config.http.port, 7001, 'no handler for http.port: the running value stays');
        assert.equal(centre.watcher.config.limits.burst, 5, 'x-restart: the running value stays');
        assert.equal(centre.watcher.config.limits.rps, 20, 'the live part of the same change applied');
        // Reverting clears what was pending.
        await store.set('dev', 'gamma', 'http:\n  port: 7001\nlimits:\n  rps: 20\n', { expectedVersion: 2 });
        await waitForVersion(reload, 3);
        assert.deepEqual(reload.status().pendingRestart, []);
      } finally {
        await reload.close();
      }
    });

    test('the shared document applies too', async () => {
      const { logger, reload } = await startReloading('delta');
      try {
        const before = await store.head('dev', 'shared');
        await store.set('dev', 'shared', 'log:\n  level: trace\n', { expectedVersion: before });
        await waitForVersion(reload, before + 1, 'sharedVersion');
        assert.equal(logger.level, 'trace');
      } finally {
        await reload.close();
        await store.set('dev', 'shared', '{}\n', { expectedVersion: await store.head('dev', 'shared') });
      }
    });

    test('${VAR} is resolved in the service only; the store keeps the reference', async () => {
      const text = 'upstream:\n  token: ${CENTRE_TEST_TOKEN}\n';
      await store.set('dev', 'epsilon', text, { expectedVersion: 0 });
      const { centre, reload } = await startReloading('epsilon', 'dev', { CENTRE_TEST_TOKEN: 'tok-123456' });
      try {
        assert.equal(centre.watcher.config.upstream.token, 'tok-123456');
        await store.set('dev', 'epsilon', `${text}log:\n  level: debug\n`, { expectedVersion: 1 });
        await waitForVersion(reload, 2);
        for (const version of [1, 2]) assert.ok(!(await store.get('dev', 'epsilon', version)).text.includes('tok-123456'));
        assert.ok(!JSON.stringify(reload.status()).includes('tok-123456'));
      } finally {
        await reload.close();
      }
    });

    test('a service publishes its schema where it has config, and only there', async () => {
      await store.set('dev', 'zeta', 'log:\n  level: info\n', { expectedVersion: 0 });
      const { reload } = await startReloading('zeta');
      await reload.close();
      const published = (await store.schema('dev', 'zeta')) as { properties?: Record<string, unknown> } | undefined;
      assert.ok(published?.properties?.limits, 'the schema lists the service keys');
      const unconfigured = await startReloading('eta', 'qa');
      await unconfigured.reload.close();
      assert.equal(await store.schema('qa', 'eta'), undefined);
    });

    test('a dev service never sees a staging change', async () => {
      await store.set('dev', 'theta', 'log:\n  level: info\n', { expectedVersion: 0 });
      const { logger, reload } = await startReloading('theta');
      try {
        await store.set('staging', 'theta', 'log:\n  level: debug\n', { expectedVersion: 0 });
        await store.set('staging', 'shared', 'log:\n  level: debug\n', { expectedVersion: 0 });
        await store.set('dev', 'theta', 'log:\n  level: info\nlimits:\n  rps: 3\n', { expectedVersion: 1 });
        await waitForVersion(reload, 2); // the dev change arrived after the staging ones were written
        assert.equal(logger.level, 'info');
        assert.equal(reload.status().reloads, 1);
        const devShared = await store.head('dev', 'shared');
        assert.equal(reload.status().sharedVersion, devShared === 0 ? null : devShared, "the dev shared document, not staging's");
      } finally {
        await reload.close();
      }
    });
  });
}
