/** Service discovery: the registry the services of the namespace register in answers (etcd or Kubernetes; the local one needs only the home folder). */
import { openRegistry } from '../registry/source.ts';
import { type Check, failed, firstLine, passed } from './check.ts';

export const discoveryReachable: Check = async ({ registry, namespace, home }) => {
  const { backend } = registry;
  if (backend === 'local') return [passed('discovery', `discovery: the local registry (files under ${home}/registry), nothing to reach`)];
  if (backend !== 'etcd' && backend !== 'kubernetes')
    return [failed('discovery', `discovery backend "${backend}" is unknown`, 'set FLOTILLA_REGISTRY_BACKEND to local, etcd or kubernetes')];
  const where = backend === 'etcd' ? `etcd at ${registry.etcdEndpoints}` : 'the Kubernetes API';
  try {
    const lister = await openRegistry({
      backend,
      namespace,
      dir: `${home}/registry`,
      etcdEndpoints: registry.etcdEndpoints,
      etcdPrefix: registry.etcdPrefix,
      ...(registry.kubeconfig === undefined ? {} : { kubeconfig: registry.kubeconfig }),
      ...(registry.kubeNamespace === undefined ? {} : { kubeNamespace: registry.kubeNamespace }),
    });
    try {
      const services = await lister.services();
      return [passed('discovery', `discovery: ${where} answers (${services.length} services registered in ${namespace})`)];
    } finally {
      await lister.close();
    }
  } catch (error) {
    return [
      failed(
        'discovery',
        `discovery: ${where} does not answer: ${firstLine(error)}`,
        backend === 'etcd'
          ? 'start etcd there (or set FLOTILLA_REGISTRY_ETCD_ENDPOINTS), or unset FLOTILLA_REGISTRY_BACKEND to use the local registry'
          : 'check the kubeconfig and cluster (kubectl get endpointslices), or unset FLOTILLA_REGISTRY_BACKEND',
      ),
    ];
  }
};
