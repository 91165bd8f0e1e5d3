/**
 * `flotilla deploy render --env <env>`: the manifests of an environment, the same objects
 * `kustomize build --load-restrictor LoadRestrictionsNone deploy/kubernetes/overlays/<env>`
 * prints, for machines without kustomize. Reads only files of this repository.
 */
import type { Command } from 'commander';
import { action } from '../exit-codes.ts';
import { findRepositoryRoot } from '../new/repository-root.ts';
import { buildKustomization } from './build.ts';
import { overlayOf } from './environments.ts';
import { printDocuments } from './yaml-files.ts';

export function registerDeployCommands(program: Command): void {
  const deploy = program.command('deploy').description('Deliver the system to Kubernetes, one environment at a time');
  deploy
    .command('render')
    .description('Print the Kubernetes manifests of an environment (deploy/kubernetes/overlays/<env>), as `kustomize build` does')
    .requiredOption('--env <env>', 'the environment: an overlay in deploy/kubernetes/overlays (dev, staging, prod)')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla deploy render --env prod | kubectl apply --server-side -f -\n  flotilla deploy render --env dev > dev.yaml\n\nExit codes: 0 printed, 1 unknown environment, 2 a file the overlay names is missing, 4 the overlay uses a kustomize feature render does not do, or has invalid YAML.',
    )
    .action(
      action(async (options: { env: string }) => {
        const root = findRepositoryRoot(process.cwd());
        const objects = buildKustomization(overlayOf(root, options.env), root);
        process.stdout.write(printDocuments(objects));
      }),
    );
}
