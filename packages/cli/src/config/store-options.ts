/** The options every `flotilla config` command shares: where the centre is, and which document. */
import type { Command } from 'commander';
import { openConfigStore, type ConfigBackend, type ConfigStore } from '@flotilla/config';
import { UsageError } from '../exit-codes.ts';

export interface StoreOptions {
  backend?: string;
  etcd?: string;
  etcdPrefix?: string;
  kubeconfig?: string;
  kubeNamespace?: string;
  configDir?: string;
  home?: string;
  json?: boolean;
}

export interface DocumentOptions extends StoreOptions {
  ns: string;
  service: string;
}

export function addStoreOptions(command: Command): Command {
  return command
    .option('--backend <backend>', 'config backend: file, etcd or kubernetes (default: $FLOTILLA_CONFIG_BACKEND or file)')
    .option('--etcd <endpoints>', 'etcd endpoints, comma-separated (default: $FLOTILLA_CONFIG_ETCD_ENDPOINTS)')
    .option('--etcd-prefix <prefix>', 'etcd key prefix (default: $FLOTILLA_CONFIG_ETCD_PREFIX or /flotilla/config)')
    .option(
      '--kubeconfig <path>',
      'kubernetes backend: kubeconfig file (default: $FLOTILLA_CONFIG_KUBECONFIG, $KUBECONFIG, in-cluster credentials, ~/.kube/config)',
    )
    .option(
      '--kube-namespace <namespace>',
      "kubernetes backend: the Kubernetes namespace of the ConfigMaps (default: $FLOTILLA_CONFIG_KUBE_NAMESPACE, else the context's)",
    )
    .option('--config-dir <dir>', 'file backend: folder of <ns>/<service>.yaml (default: $FLOTILLA_CONFIG_DIR or ./config)')
    .option('--home <dir>', 'file backend: state folder holding the history (default: $FLOTILLA_HOME or ./.flotilla)')
    .option('--json', 'print machine-readable JSON (errors too, on stderr)');
}

export function addDocumentOptions(command: Command): Command {
  return addStoreOptions(
    command
      .requiredOption('--ns <namespace>', 'namespace, e.g. dev, staging, prod')
      .requiredOption('--service <service>', 'service name, or "shared" for the keys every service reads'),
  );
}

export async function openStore(options: StoreOptions): Promise<ConfigStore> {
  const backend = options.backend;
  if (backend !== undefined && backend !== 'file' && backend !== 'etcd' && backend !== 'kubernetes')
    throw new UsageError(`--backend must be "file", "etcd" or "kubernetes", got "${backend}"`);
  return openConfigStore({
    ...(backend === undefined ? {} : { backend: backend as ConfigBackend }),
    ...(options.etcd === undefined
      ? {}
      : {
          etcdEndpoints: options.etcd
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }),
    ...(options.etcdPrefix === undefined ? {} : { etcdPrefix: options.etcdPrefix }),
    ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
    ...(options.kubeNamespace === undefined ? {} : { kubeNamespace: options.kubeNamespace }),
    ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
    ...(options.home === undefined ? {} : { home: options.home }),
  });
}

/** Opens the store, runs `work`, always closes it. */
export async function withStore<T>(options: StoreOptions, work: (store: ConfigStore) => Promise<T>): Promise<T> {
  const store = await openStore(options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function parseVersion(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a version number, got "${value}"`);
  return Number(value);
}
