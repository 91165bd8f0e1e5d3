/**
 * What every part of the image build reads once: the repository root, the
 * version (root package.json), the timestamp every file and the image config
 * carry (SOURCE_DATE_EPOCH, else the commit time of HEAD, else 0) and the
 * revision, plus the target platform (the build host's: the Node binary and
 * the shared libraries are taken from it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildContext {
  root: string;
  version: string;
  /** Seconds since the epoch, for tar mtimes and the config's `created`. */
  epoch: number;
  /** The commit of HEAD, or 'unknown' outside git. */
  revision: string;
  /** OCI architecture (amd64, arm64) and the Node/npm spelling (x64, arm64). */
  arch: 'amd64' | 'arm64';
  nodeArch: 'x64' | 'arm64';
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export function buildContext(root = REPO_ROOT, env: NodeJS.ProcessEnv = process.env): BuildContext {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const nodeArch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
  if (nodeArch === undefined) throw new Error(`images: unsupported architecture ${process.arch} (x64 and arm64 only)`);
  return {
    root,
    version: pkg.version,
    epoch: sourceDateEpoch(root, env),
    revision: env.FLOTILLA_IMAGE_REVISION || (git(root, ['rev-parse', 'HEAD']) ?? 'unknown'),
    arch: nodeArch === 'x64' ? 'amd64' : 'arm64',
    nodeArch,
  };
}

function sourceDateEpoch(root: string, env: NodeJS.ProcessEnv): number {
  const given = env.SOURCE_DATE_EPOCH;
  if (given !== undefined && given !== '') {
    if (!/^\d+$/.test(given)) throw new Error(`images: SOURCE_DATE_EPOCH must be whole seconds, got ${JSON.stringify(given)}`);
    return Number(given);
  }
  const committed = git(root, ['log', '-1', '--format=%ct', 'HEAD']);
  return committed !== undefined && /^\d+$/.test(committed) ? Number(committed) : 0;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
