/**
 * Packages in the bundle that keep, while they load, a value that must be the
 * running process's (in a start-up snapshot they would keep the build's), or
 * that take a class from a module a snapshot cannot hold. Each is patched to
 * look it up when first used instead. A patch that no longer finds
 * its text fails the build (a new version of the package needs a look).
 *
 * Not patched, read at build time (the build runs with an empty environment,
 * so they keep their defaults): debugging switches read on load, GRPC_TRACE /
 * GRPC_VERBOSITY and GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (grpc-js), DEBUG, NODE_DEBUG
 * (semver). pino's pid and host name are passed by our logger at run time.
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

interface Patch {
  /** The file, from node_modules on. */
  file: RegExp;
  replacements: [from: string, to: string][];
}

const PATCHES: Patch[] = [
  {
    // Takes a class out of node:http while loading, which a snapshot cannot hold (lazy-builtins.ts): looked up when used.
    file: /[\\/]node_modules[\\/]undici[\\/]lib[\\/]core[\\/]util\.js$/,
    replacements: [
      ["const { IncomingMessage } = require('node:http')", "const http = require('node:http')"],
      ['.constructor === IncomingMessage)', '.constructor === http.IncomingMessage)'],
    ],
  },
  {
    // process_start_time_seconds: the build's clock otherwise.
    file: /[\\/]node_modules[\\/]prom-client[\\/]lib[\\/]metrics[\\/]processStartTime\.js$/,
    replacements: [
      [
        'const startInSeconds = Math.round(Date.now() / 1000 - process.uptime());',
        'const startInSeconds = () => Math.round(Date.now() / 1000 - process.uptime());',
      ],
      ['this.set(labels, startInSeconds);', 'this.set(labels, startInSeconds());'],
    ],
  },
];

export function snapshotPatches(): Plugin {
  return {
    name: 'flotilla-sea-snapshot-patches',
    setup(build) {
      for (const patch of PATCHES) {
        build.onLoad({ filter: patch.file }, async (args) => {
          let contents = await readFile(args.path, 'utf8');
          for (const [from, to] of patch.replacements) {
            if (!contents.includes(from))
              throw new Error(`${args.path}: \`${from}\` not found; the start-up snapshot patch needs updating`);
            contents = contents.replace(from, to);
          }
          return { contents, loader: 'js' };
        });
      }
    },
  };
}
