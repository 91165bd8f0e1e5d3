/** The environments a repository deploys: one kustomize overlay each, deploy/kubernetes/overlays/<env>. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../exit-codes.ts';
import { kustomizationFile } from './kustomization.ts';

export const OVERLAYS = join('deploy', 'kubernetes', 'overlays');

export function environments(root: string): string[] {
  const dir = join(root, OVERLAYS);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && kustomizationFile(join(dir, entry.name)) !== undefined)
    .map((entry) => entry.name)
    .sort();
}

/** The overlay folder of `env`; an environment without one is a usage error listing those there are. */
export function overlayOf(root: string, env: string): string {
  const known = environments(root);
  if (!known.includes(env)) {
    const choices = known.length === 0 ? `there are none in ${join(root, OVERLAYS)}` : `choose ${known.join(', ')}`;
    throw new UsageError(`unknown environment "${env}": ${choices}`);
  }
  return join(root, OVERLAYS, env);
}
