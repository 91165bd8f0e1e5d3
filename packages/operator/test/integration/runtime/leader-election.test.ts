// Two operator processes share one Lease: exactly one leads; kill -9 the leader and the
// standby takes over within the lease time; SIGTERM makes a leader release the lease.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { type KubeClient, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, getOrUndefined, kubeconfigOrSkip } from '@flotilla/testing';
import type { Lease } from '../../../src/runtime/leader-election.ts';
import { installCrd } from '../support/kube.ts';

const main = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const LEASE_SECONDS = 15;

interface OperatorProcess {
  child: ChildProcess;
  identity: Promise<string>;
  exited: Promise<number | null>;
}

function spawnOperator(kubeconfig: string, namespace: string): OperatorProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@flotilla/source',
      main,
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      namespace,
      '--lease-namespace',
      namespace,
      '--port',
      '0',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    },
  );
  const identity = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const record = JSON.parse(line) as { identity?: string; message?: string };
        if (record.message === 'operator started' && record.identity) resolve(record.identity);
      } catch {
        /* not JSON */
      }
    });
    child.once('exit', (code) => reject(new Error(`operator exited (${code}) before starting`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, identity, exited };
}

const children: ChildProcess[] = [];
let client: KubeClient | undefined;
let namespace = '';
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (client && namespace) await deleteNamespace(client, namespace);
  await client?.close();
});

const holder = async () =>
  (await getOrUndefined(() => client!.get<Lease>(Resources.Lease, namespace, 'flotilla-operator')))?.spec?.holderIdentity;

test('one leader among two processes; kill -9 the leader and the standby takes over within the lease time', async (t) => {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return;
  client = clientFor(kubeconfig);
  await installCrd(client);
  namespace = await createNamespace(client, 'leader');
  const a = spawnOperator(kubeconfig, namespace);
  const b = spawnOperator(kubeconfig, namespace);
  children.push(a.child, b.child);
  const ids = { a: await a.identity, b: await b.identity };
  await eventually(async () => [ids.a, ids.b].includes((await holder()) ?? ''), {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: 'a leader',
  });
  // Stays with one holder across several renewals (each one moves renewTime): watched, not waited out.
  const first = await holder();
  const renewals = new Set<string>();
  const holders = new Set<string | undefined>();
  await eventually(
    async () => {
      const spec = (await getOrUndefined(() => client!.get<Lease>(Resources.Lease, namespace, 'flotilla-operator')))?.spec;
      holders.add(spec?.holderIdentity);
      if (spec?.renewTime !== undefined) renewals.add(spec.renewTime);
      return renewals.size > 2;
    },
    { timeoutMs: (LEASE_SECONDS + 15) * 1000, intervalMs: 200, message: 'two more renewals' },
  );
  assert.deepEqual([...holders], [first], 'the leader renews; no flapping');

  const [leader, standby] = first === ids.a ? [a, b] : [b, a];
  const standbyId = first === ids.a ? ids.b : ids.a;
  const killedAt = Date.now();
  leader.child.kill('SIGKILL');
  await eventually(async () => (await holder()) === standbyId, {
    timeoutMs: (LEASE_SECONDS + 15) * 1000,
    intervalMs: 200,
    message: 'the standby to take over',
  });
  t.diagnostic(`took over ${Date.now() - killedAt} ms after kill -9 (lease ${LEASE_SECONDS} s)`);
  const lease = await client.get<Lease>(Resources.Lease, namespace, 'flotilla-operator');
  assert.ok((lease.spec?.leaseTransitions ?? 0) >= 1);
  assert.equal(lease.spec?.leaseDurationSeconds, LEASE_SECONDS);

  // SIGTERM: the new leader releases the lease on its way out and exits cleanly.
  standby.child.kill('SIGTERM');
  assert.equal(await standby.exited, 0);
  assert.equal(await holder(), '', 'the lease was released, not left to expire');
});
