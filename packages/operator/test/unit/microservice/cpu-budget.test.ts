// FLOTILLA_CPU_BUDGET in the rendered container: whole CPUs from the CPU limit, else the
// request, at least 1; absent without either; a spec.env entry of that name replaces it
// (one entry per name: server-side apply keys env by name).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CPU_BUDGET_ENV, cpuBudget, renderDeployment } from '../../../src/microservice/render.ts';
import type { Microservice } from '../../../src/microservice/types.ts';

const microservice = (spec: Partial<Microservice['spec']>): Microservice => ({
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop', uid: 'uid-orders', generation: 1 },
  spec: { image: 'example/orders:1', ...spec },
});

function envOf(ms: Microservice, database?: Parameters<typeof renderDeployment>[1]): { name: string; value?: string }[] | undefined {
  const spec = renderDeployment(ms, database).object.spec as { template: { spec: { containers: { env?: { name: string }[] }[] } } };
  return spec.template.spec.containers[0]!.env;
}

test('the CPU limit sets the budget, rounded down, at least 1', () => {
  const budget = (cpu: string) => cpuBudget(microservice({ resources: { requests: { cpu: '100m' }, limits: { cpu } } }));
  assert.equal(budget('2'), 2);
  assert.equal(budget('2500m'), 2);
  assert.equal(budget('1.5'), 1);
  assert.equal(budget('500m'), 1);
  assert.equal(budget('4000m'), 4);
  assert.deepEqual(envOf(microservice({ resources: { limits: { cpu: '3' } } })), [{ name: CPU_BUDGET_ENV, value: '3' }]);
});

test('a CPU request alone sets it too; no CPU figure sets nothing', () => {
  assert.deepEqual(envOf(microservice({ resources: { requests: { cpu: '2' } } })), [{ name: CPU_BUDGET_ENV, value: '2' }]);
  assert.equal(envOf(microservice({ resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } } })), undefined);
  assert.equal(envOf(microservice({})), undefined);
});

test('spec.env naming FLOTILLA_CPU_BUDGET replaces it, and the order of spec.env stays', () => {
  const env = envOf(
    microservice({
      resources: { limits: { cpu: '4' } },
      env: [
        { name: 'A', value: '1' },
        { name: CPU_BUDGET_ENV, value: '2' },
      ],
    }),
  );
  assert.deepEqual(env, [
    { name: 'A', value: '1' },
    { name: CPU_BUDGET_ENV, value: '2' },
  ]);
});

test('beside a database binding: the DSN first, then the budget, then spec.env', () => {
  const env = envOf(microservice({ resources: { limits: { cpu: '1' } }, env: [{ name: 'B', value: '2' }] }), {
    name: 'orders-db-credentials',
    key: 'dsn',
    hash: 'h',
  });
  assert.deepEqual(
    env?.map((e) => e.name),
    ['ORDERS_DATABASE_URL', CPU_BUDGET_ENV, 'B'],
  );
});
