/**
 * `flotilla registry ls [service]`: the instances discovery knows, with
 * region/zone, health, weight and the outstanding-request count an instance
 * publishes in its metadata (`outstanding`), when it does.
 */
import type { Command } from 'commander';
import { action, UsageError } from '../exit-codes.ts';
import { formatTable, printJson, printLines } from '../output.ts';
import { openRegistry, type RegistryInstance, type RegistryLister } from './source.ts';

interface LsOptions {
  ns?: string;
  backend?: string;
  etcd?: string;
  etcdPrefix?: string;
  registryDir?: string;
  kubeconfig?: string;
  kubeNamespace?: string;
  json?: boolean;
}

export function registerRegistryCommands(program: Command, open: typeof openRegistry = openRegistry): void {
  const registry = program.command('registry').description('Inspect service discovery');
  registry
    .command('ls')
    .description('List registered instances, of one service or of all')
    .argument('[service]', 'only this service')
    .option('--ns <namespace>', 'namespace (default: $FLOTILLA_ENV or dev)')
    .option('--backend <backend>', 'registry backend: local, etcd or kubernetes (default: $FLOTILLA_REGISTRY_BACKEND or local)')
    .option('--etcd <endpoints>', 'etcd endpoints, comma-separated (default: $FLOTILLA_REGISTRY_ETCD_ENDPOINTS or http://127.0.0.1:2379)')
    .option('--etcd-prefix <prefix>', 'etcd key prefix (default: /flotilla)')
    .option('--registry-dir <dir>', 'local backend folder (default: $FLOTILLA_HOME/registry)')
    .option('--kubeconfig <path>', 'kubernetes backend: kubeconfig file (default: $KUBECONFIG, in-cluster credentials, ~/.kube/config)')
    .option(
      '--kube-namespace <namespace>',
      "kubernetes backend: whose EndpointSlices to read (default: the context's or the pod's namespace)",
    )
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla registry ls\n  flotilla registry ls users --json\n  flotilla registry ls --backend etcd --etcd http://127.0.0.1:2379',
    )
    .action(
      action(async (service: string | undefined, options: LsOptions) => {
        const backend = options.backend ?? process.env.FLOTILLA_REGISTRY_BACKEND ?? 'local';
        if (backend !== 'local' && backend !== 'etcd' && backend !== 'kubernetes')
          throw new UsageError(`--backend must be "local", "etcd" or "kubernetes", got "${backend}"`);
        const lister = await open({
          backend,
          namespace: options.ns ?? process.env.FLOTILLA_ENV ?? 'dev',
          ...(options.registryDir === undefined ? {} : { dir: options.registryDir }),
          etcdEndpoints: options.etcd ?? process.env.FLOTILLA_REGISTRY_ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379',
          etcdPrefix: options.etcdPrefix ?? '/flotilla',
          ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
          ...(options.kubeNamespace === undefined ? {} : { kubeNamespace: options.kubeNamespace }),
        });
        const instances = await listAll(lister, service).finally(() => lister.close());
        if (options.json) return printJson(instances);
        if (instances.length === 0) {
          process.stderr.write(service === undefined ? 'no instances registered\n' : `no instances of ${service}\n`);
          return;
        }
        printLines(
          formatTable(['SERVICE', 'ID', 'ADDRESS', 'REGION', 'ZONE', 'HEALTH', 'WEIGHT', 'OUTSTANDING', 'VERSION'], instances.map(row)),
        );
      }),
    );
}

async function listAll(lister: RegistryLister, service: string | undefined): Promise<RegistryInstance[]> {
  const services = service === undefined ? await lister.services() : [service];
  const lists = await Promise.all(services.map((s) => lister.list(s)));
  return lists.flat();
}

function row(instance: RegistryInstance): string[] {
  const ports = [
    instance.ports.http === undefined ? undefined : `http:${instance.ports.http}`,
    instance.ports.grpc === undefined ? undefined : `grpc:${instance.ports.grpc}`,
  ]
    .filter(Boolean)
    .join(',');
  return [
    instance.service,
    instance.id,
    `${instance.address} ${ports}`,
    instance.region,
    instance.zone,
    instance.health,
    String(instance.weight),
    instance.metadata.outstanding ?? '-',
    instance.version,
  ];
}
