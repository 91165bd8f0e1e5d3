/** `flotilla doctor`: what keeps this machine from running the system, one line per check, with a fix for each failure. */
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { addStoreOptions, type StoreOptions } from '../config/store-options.ts';
import { action, UsageError } from '../exit-codes.ts';
import { findRepositoryRoot } from '../new/repository-root.ts';
import type { DoctorContext } from './check.ts';
import { formatReport, runChecks } from './run-checks.ts';

interface DoctorOptions extends StoreOptions {
  ns?: string;
  registryBackend?: string;
  registryEtcd?: string;
  timeout: string;
}

export function registerDoctorCommand(program: Command, cliRoot: string): void {
  addStoreOptions(
    program
      .command('doctor')
      .description('Check this machine: Node version, native addons, free ports, state folder, config, discovery and config backends'),
  )
    .option('--ns <namespace>', 'namespace whose config and ports are checked (default: $FLOTILLA_ENV or dev)')
    .addOption(
      new Option('--registry-backend <backend>', 'discovery backend (default: $FLOTILLA_REGISTRY_BACKEND or local)').choices([
        'local',
        'etcd',
        'kubernetes',
      ]),
    )
    .option('--registry-etcd <endpoints>', 'discovery etcd endpoints (default: $FLOTILLA_REGISTRY_ETCD_ENDPOINTS or http://127.0.0.1:2379)')
    .option('--timeout <ms>', 'how long one check may wait for a backend', '5000')
    .addHelpText(
      'after',
      '\nExit codes: 0 every check passed, 4 a config document is invalid (the first failure), 5 anything else failed.\n\nExamples:\n  flotilla doctor\n  flotilla doctor --json\n  FLOTILLA_CONFIG_BACKEND=etcd FLOTILLA_CONFIG_ETCD_ENDPOINTS=http://127.0.0.1:2379 flotilla doctor',
    )
    .action(
      action(async (options: DoctorOptions) => {
        const context = doctorContext(options, cliRoot);
        const report = await runChecks(context);
        const text = options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report).join('\n')}\n`;
        // Exit explicitly once written: a backend client that never connected may hold the event loop open.
        process.stdout.write(text, () => process.exit(report.exitCode));
      }),
    );
}

function doctorContext(options: DoctorOptions, cliRoot: string): DoctorContext {
  const timeoutMs = Number(options.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new UsageError(`--timeout must be a positive number of milliseconds, got "${options.timeout}"`);
  let root: string;
  try {
    root = findRepositoryRoot(process.cwd());
  } catch {
    root = cliRoot;
  }
  const configDir = resolve(options.configDir ?? process.env.FLOTILLA_CONFIG_DIR ?? join(root, 'config'));
  const home = resolve(options.home ?? process.env.FLOTILLA_HOME ?? join(root, '.flotilla'));
  return {
    root,
    namespace: options.ns ?? process.env.FLOTILLA_ENV ?? 'dev',
    configDir,
    home,
    store: { ...options, configDir, home },
    registry: {
      backend: options.registryBackend ?? process.env.FLOTILLA_REGISTRY_BACKEND ?? 'local',
      etcdEndpoints: options.registryEtcd ?? process.env.FLOTILLA_REGISTRY_ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379',
      etcdPrefix: '/flotilla',
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      ...(options.kubeNamespace === undefined ? {} : { kubeNamespace: options.kubeNamespace }),
    },
    timeoutMs,
  };
}
