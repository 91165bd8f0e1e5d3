/**
 * The etcd part of the `discovery` section without a server: the credential
 * and TLS keys validate, the password is masked like every secret, and
 * settings that cannot work fail when the registry is made, saying why.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Value from 'typebox/value';
import { maskConfig } from '@flotilla/config';
import { createRegistry, DiscoveryConfig, type DiscoverySettings } from '../../../src/create-registry.ts';
import { EtcdRegistry } from '../../../src/etcd/etcd-registry.ts';
import { ValidationError } from '@flotilla/core';

const defaults = Value.Default(DiscoveryConfig, {}) as DiscoverySettings;
const withEtcd = (etcd: Partial<DiscoverySettings['etcd']>): DiscoverySettings => ({
  ...defaults,
  backend: 'etcd',
  etcd: { ...defaults.etcd, ...etcd },
});

test('username, password and tls files are discovery.etcd keys; the password is masked', () => {
  const settings = withEtcd({
    endpoints: 'https://10.0.0.1:2379',
    username: 'flotilla',
    password: 's3cret-value',
    tls: { caFile: '/etc/etcd/ca.pem', certFile: '/etc/etcd/client.pem', keyFile: '/etc/etcd/client-key.pem' },
  });
  assert.ok(Value.Check(DiscoveryConfig, settings));
  assert.ok(
    !Value.Check(DiscoveryConfig, withEtcd({ tls: { caFile: '/ca.pem', ca: '/ca.pem' } as never })),
    'unknown tls keys are refused',
  );
  const masked = JSON.stringify(maskConfig({ discovery: settings }));
  assert.ok(!masked.includes('s3cret-value'));
  assert.match(masked, /"password":"\*\*\*"/);
});

test('a username without a password (or the other way round) is refused when the registry is made', () => {
  assert.throws(
    () => createRegistry(withEtcd({ username: 'flotilla' })),
    (error) => error instanceof ValidationError && /discovery\.etcd\.password is missing/.test(error.message),
  );
  assert.throws(() => createRegistry(withEtcd({ password: 'x' })), /discovery\.etcd\.username is missing/);
});

test('TLS settings that cannot work fail at once, naming the setting', () => {
  const missing = join(import.meta.dirname, 'no-such-ca.pem');
  assert.throws(
    () => new EtcdRegistry({ endpoints: ['https://127.0.0.1:2379'], tls: { caFile: missing } }),
    new RegExp(`etcd TLS caFile: cannot read ${missing} \\(ENOENT\\)`),
  );
  assert.throws(
    () => new EtcdRegistry({ endpoints: ['http://127.0.0.1:2379'], tls: {} }),
    /TLS files are set, so the endpoints must be https:\/\//,
  );
  assert.throws(
    () => new EtcdRegistry({ endpoints: ['https://127.0.0.1:2379'], tls: { certFile: '/client.pem' } }),
    /certFile and keyFile go together/,
  );
  assert.throws(
    () => new EtcdRegistry({ endpoints: ['https://127.0.0.1:2379', 'http://127.0.0.1:2380'] }),
    /either all https:\/\/ or none/,
  );
});
