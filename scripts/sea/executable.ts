import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { snapshotBuildEnv } from './snapshot.ts';

/** The fuse Node's binary carries: postject flips it so the binary looks for its blob at start. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

type Inject = (file: string, resource: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
const { inject } = createRequire(import.meta.url)('postject') as { inject: Inject };

export interface SeaInput {
  /** The CommonJS main script. */
  main: string;
  /** Asset key → file on disk, read at build time and embedded. */
  assets: Record<string, string>;
  /** Where build files (config, blob) go. */
  workDir: string;
  /** The executable to write; replaced only once complete. */
  output: string;
  /** Build a V8 start-up snapshot from the main script (snapshot.ts) instead of carrying its code cache. */
  snapshot?: boolean;
  /** Node and V8 flags the executable starts with (v8-flags.ts). */
  execArgv?: readonly string[];
}

/** The sea-config.json Node reads to prepare the blob. */
export function seaConfig(input: SeaInput): object {
  return {
    main: input.main,
    output: join(input.workDir, 'sea-prep.blob'),
    // A snapshot holds the loaded modules, compiled code included. Without one,
    // V8's code cache for the main script: the 9 MB bundle is not compiled again at each start.
    ...(input.snapshot === true ? { useSnapshot: true } : { useCodeCache: true }),
    disableExperimentalSEAWarning: true,
    ...(input.execArgv === undefined || input.execArgv.length === 0 ? {} : { execArgv: input.execArgv }),
    assets: input.assets,
  };
}

/**
 * Node's documented flow: `node --experimental-sea-config` writes the blob,
 * a copy of this very Node binary (the pinned one) gets it injected by
 * postject. The blob's code cache only fits the Node that made it, hence the
 * same binary.
 */
export async function makeExecutable(input: SeaInput): Promise<void> {
  const configFile = join(input.workDir, 'sea-config.json');
  writeFileSync(configFile, `${JSON.stringify(seaConfig(input), null, 2)}\n`);
  const prepared = spawnSync(process.execPath, ['--experimental-sea-config', configFile], {
    encoding: 'utf8',
    // A snapshot keeps what modules read while loading: none of the builder's environment.
    ...(input.snapshot === true ? { env: snapshotBuildEnv() } : {}),
  });
  if (prepared.status !== 0) throw new Error(`node --experimental-sea-config failed (${prepared.status}):\n${prepared.stderr}`);
  const partial = `${input.output}.${process.pid}.partial`;
  copyFileSync(process.execPath, partial);
  chmodSync(partial, 0o755);
  await inject(partial, 'NODE_SEA_BLOB', readFileSync(join(input.workDir, 'sea-prep.blob')), { sentinelFuse: SEA_FUSE });
  renameSync(partial, input.output);
}
