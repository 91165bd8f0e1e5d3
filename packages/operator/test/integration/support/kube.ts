// What the operator's suites against a real API server need on top of @flotilla/testing: a logger and the Microservice CRD.
import { pino, type Logger } from 'pino';
import { isAlreadyExists, type KubeClient, type KubeObject, Resources } from '@flotilla/kube';
import { eventually } from '@flotilla/testing';
import { microserviceCrd } from '../../../src/microservice/crd.ts';

export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** Installs (or updates) the Microservice CRD and waits until it is Established. */
export async function installCrd(client: KubeClient): Promise<void> {
  const crd = microserviceCrd() as unknown as KubeObject;
  await client.apply(Resources.CustomResourceDefinition, crd);
  await eventually(
    async () => {
      const live = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
        Resources.CustomResourceDefinition,
        undefined,
        crd.metadata.name!,
      );
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the Microservice CRD to be established' },
  );
}

export { isAlreadyExists };
