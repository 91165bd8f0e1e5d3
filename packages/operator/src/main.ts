// `npm run operator -w @flotilla/operator` (and `flotilla operator`): runs the operator
// with a kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) or in-cluster config.
//
// flags / env:
//   --kubeconfig PATH          FLOTILLA_OPERATOR_KUBECONFIG
//   --namespace NS             FLOTILLA_OPERATOR_NAMESPACE     watch one namespace (default all)
//   --workers N                FLOTILLA_OPERATOR_WORKERS       concurrent reconciles (default 4)
//   --database-workers N       FLOTILLA_OPERATOR_DATABASE_WORKERS concurrent Database reconciles (default 2)
//   --port N                   FLOTILLA_OPERATOR_PORT          /healthz /readyz /metrics (default 8090)
//   --lease-namespace NS       FLOTILLA_OPERATOR_LEASE_NAMESPACE (default: in-cluster namespace or "default")
//   --webhook-port N, ...      the admission webhook, off unless a port is given (src/admission/command-line.ts)
import { parseArgs } from 'node:util';
import { loadConnection } from '@flotilla/kube';
import { createLogger } from './runtime/logger.ts';
import { startOperator } from './operator.ts';
import { ADMISSION_FLAGS, admissionOptionsFrom } from './admission/command-line.ts';

export async function runOperatorCommand(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      workers: { type: 'string' },
      'database-workers': { type: 'string' },
      port: { type: 'string' },
      'lease-namespace': { type: 'string' },
      ...ADMISSION_FLAGS,
    },
  });
  const env = process.env;
  const log = createLogger('flotilla-operator');
  const connection = loadConnection(values.kubeconfig ?? env.FLOTILLA_OPERATOR_KUBECONFIG);
  const ownNamespace = values['lease-namespace'] ?? env.FLOTILLA_OPERATOR_LEASE_NAMESPACE ?? connection.namespace ?? 'default';
  const operator = await startOperator({
    connection,
    log,
    namespace: values.namespace ?? env.FLOTILLA_OPERATOR_NAMESPACE,
    workers: Number(values.workers ?? env.FLOTILLA_OPERATOR_WORKERS ?? 4),
    databaseWorkers: Number(values['database-workers'] ?? env.FLOTILLA_OPERATOR_DATABASE_WORKERS ?? 2),
    healthPort: Number(values.port ?? env.FLOTILLA_OPERATOR_PORT ?? 8090),
    leaseNamespace: ownNamespace,
    admission: admissionOptionsFrom(values, env, ownNamespace),
    onLostLeadership: () => {
      log.error('leadership lost; exiting');
      process.exit(1);
    },
  });
  log.info({ identity: operator.identity, 'server.port': operator.healthPort }, 'operator started');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down; releasing the lease');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    operator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runOperatorCommand().catch((error: unknown) => {
    process.stderr.write(`flotilla operator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
