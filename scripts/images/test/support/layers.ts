/** Reads what the built images hold: images.json, and layer listings through GNU tar. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImageSummary } from '../../report.ts';

const run = promisify(execFile);

export interface BuildResult {
  out: string;
  version: string;
  revision: string;
  sourceDateEpoch: number;
  /** The pinned Node the executables are made of. */
  nodeVersion: string;
  images: ImageSummary[];
}

export function readBuild(out: string): BuildResult {
  return { out, ...(JSON.parse(readFileSync(join(out, 'images.json'), 'utf8')) as Omit<BuildResult, 'out'>) };
}

export interface TarListing {
  mode: string;
  owner: string;
  size: number;
  time: string;
  path: string;
}

/** `tar --zstd -tv --numeric-owner --full-time` of one layer blob. */
export async function listLayer(layout: string, digest: string): Promise<TarListing[]> {
  const blob = join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const { stdout } = await run('tar', ['--zstd', '-tvf', blob, '--numeric-owner', '--full-time'], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TZ: 'UTC' },
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const match = /^(\S+) (\d+\/\d+)\s+(\d+) (\S+ \S+) (.*?)(?: -> .*)?$/.exec(line);
      if (match === null) throw new Error(`unexpected tar listing line: ${line}`);
      return { mode: match[1]!, owner: match[2]!, size: Number(match[3]), time: match[4]!, path: match[5]! };
    });
}
