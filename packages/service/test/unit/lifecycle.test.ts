import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { component, Lifecycle } from '../../src/lifecycle.ts';

function recorder() {
  const log: string[] = [];
  const errors: string[] = [];
  const part = (name: string, options: { failStart?: boolean; failStop?: boolean } = {}) =>
    component(name, {
      start: () => {
        log.push(`start ${name}`);
        if (options.failStart === true) throw new Error(`${name} cannot start`);
      },
      stop: () => {
        log.push(`stop ${name}`);
        if (options.failStop === true) throw new Error(`${name} cannot stop`);
      },
    });
  const lifecycle = new Lifecycle({ error: (_object, message) => errors.push(message) });
  return { log, errors, part, lifecycle };
}

describe('Lifecycle', () => {
  test('starts components in order and stops them in reverse, once', async () => {
    const { log, part, lifecycle } = recorder();
    await lifecycle.start([part('telemetry'), part('database'), part('servers')]);
    await lifecycle.stop();
    await lifecycle.stop();
    assert.deepEqual(log, ['start telemetry', 'start database', 'start servers', 'stop servers', 'stop database', 'stop telemetry']);
  });

  test('a component that fails to start is stopped with the ones before it, and the error goes on', async () => {
    const { log, part, lifecycle } = recorder();
    await assert.rejects(
      lifecycle.start([part('telemetry'), part('database', { failStart: true }), part('servers')]),
      /database cannot start/,
    );
    assert.deepEqual(log, ['start telemetry', 'start database', 'stop database', 'stop telemetry']);
  });

  test('a component that fails to stop is logged and the others still stop', async () => {
    const { log, errors, part, lifecycle } = recorder();
    await lifecycle.start([part('telemetry'), part('database', { failStop: true }), part('servers')]);
    await lifecycle.stop();
    assert.deepEqual(log.slice(3), ['stop servers', 'stop database', 'stop telemetry']);
    assert.deepEqual(errors, ['error while stopping database']);
  });
});
