// The operator's helpers for tests against a real API server, on top of the shared
// ones in test/support/kube.ts: a logger and the Microservice CRD.
import { pino, type Logger } from 'pino';
import { isAlreadyExists, type KubeClient, type KubeObject, Resources } from '@flotilla/kube';
import { waitUntil } from '../../../../test/support/kube.ts';
import { microserviceCrd } from '../../src/microservice/crd.ts';

export {
  clientFor,
  createNamespace,
  deleteNamespace,
  getOrUndefined,
  kubeconfigOrSkip,
  kubectl,
  waitUntil,
} from '../../../../test/support/kube.ts';

export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** Installs (or updates) the Microservice CRD and waits until it is Established. */
export async function installCrd(client: KubeClient): Promise<void> {
  const crd = microserviceCrd() as unknown as KubeObject;
  await client.apply(Resources.CustomResourceDefinition, crd);
  await waitUntil('the Microservice CRD to be established', async () => {
    const live = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
      Resources.CustomResourceDefinition,
      undefined,
      crd.metadata.name!,
    );
    return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
}

export { isAlreadyExists };
