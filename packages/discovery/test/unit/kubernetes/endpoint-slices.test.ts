/**
 * EndpointSlices as instances, without a server: ready endpoints only,
 * terminating ones when nothing is ready, ports by name, zones, dual-stack,
 * the version label.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instancesFromSlices, type Endpoint } from '../../../src/kubernetes/endpoint-slices.ts';
import { endpoint, ids, slice } from '../../support/endpoint-slices.ts';

describe('EndpointSlices as instances', () => {
  test('ready endpoints become instances with ports by name, zone, node and region', () => {
    const instances = instancesFromSlices(
      'users',
      [slice('users', 'users-abc', [endpoint('users-1', '10.0.0.1'), endpoint('users-2', '10.0.0.2', { ready: null }, 'zone-b')])],
      { region: 'eu' },
    );
    assert.deepEqual(ids(instances), ['users-1', 'users-2'], 'ready: nil counts as ready');
    assert.deepEqual(instances[0], {
      id: 'users-1',
      service: 'users',
      address: '10.0.0.1',
      ports: { http: 8080, grpc: 9090 },
      version: '0.0.0',
      region: 'eu',
      zone: 'zone-a',
      weight: 100,
      health: 'serving',
      metadata: { endpointSlice: 'users-abc', pod: 'users-1', nodeName: 'node-zone-a' },
    });
    assert.equal(instances[1]!.zone, 'zone-b');
  });

  test('not-ready endpoints are skipped; terminating-but-serving ones are used only when nothing is ready', () => {
    const terminating = endpoint('users-3', '10.0.0.3', { ready: false, serving: true, terminating: true });
    const notReady = endpoint('users-4', '10.0.0.4', { ready: false, serving: false, terminating: false });
    const both = instancesFromSlices('users', [slice('users', 's', [endpoint('users-1', '10.0.0.1'), terminating, notReady])], {
      region: 'eu',
    });
    assert.deepEqual(ids(both), ['users-1']);
    const fallback = instancesFromSlices(
      'users',
      [slice('users', 's', [terminating, notReady, endpoint('users-5', '10.0.0.5', { ready: false, serving: false, terminating: true })])],
      { region: 'eu' },
    );
    assert.deepEqual(ids(fallback), ['users-3']);
    assert.equal(fallback[0]!.metadata.terminating, 'true');
  });

  test('zone hints, the version label, dual-stack Pods, other services and unnamed ports', () => {
    const hinted = {
      ...endpoint('users-1', '10.0.0.1'),
      zone: undefined,
      hints: { forZones: [{ name: 'zone-h' }] },
    } as Endpoint;
    const v4 = slice('users', 'b-v4', [hinted]);
    v4.metadata.labels!['app.kubernetes.io/version'] = '1.4.2';
    const v6 = slice('users', 'a-v6', [endpoint('users-1', 'fd00::1')], { addressType: 'IPv6' });
    const other = slice('orders', 'o', [endpoint('orders-1', '10.0.1.1')]);
    const unnamed = slice('users', 'c', [endpoint('users-9', '10.0.0.9')], { ports: [{ port: 80, protocol: 'TCP' }] });
    const instances = instancesFromSlices('users', [v6, other, unnamed, v4], { region: 'eu' });
    assert.deepEqual(ids(instances), ['users-1']);
    assert.equal(instances[0]!.address, '10.0.0.1', 'IPv4 wins for a dual-stack Pod');
    assert.equal(instances[0]!.zone, 'zone-h');
    assert.equal(instances[0]!.version, '1.4.2');
    assert.deepEqual(
      instancesFromSlices('users', [slice('users', 'x', [{ addresses: ['10.0.0.7'] }])], { region: 'eu' }).map((i) => i.id),
      ['10.0.0.7'],
      'no Pod reference: the address is the id',
    );
  });
});
