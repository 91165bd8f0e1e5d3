/**
 * Stands in for `node:module` in the kit's own modules inside the executable
 * (packages in node_modules keep Node's). The kit loads the pg and mysql2
 * drivers on first use through `createRequire(import.meta.url)`; an
 * executable has no node_modules to find them in, so they are bundled here
 * and handed out by name. createRequire is all the kit imports from
 * node:module: another name fails the bundle, not the executable.
 *
 * The kit calls createRequire when its modules load, which in an executable
 * with a start-up snapshot is at build time: Node's own require is made on
 * first use, from the running executable's path (what `import.meta.url` is in
 * an executable), never from a path the build saw.
 */
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

// Static require() calls, so that esbuild bundles the drivers (lazily initialised: free until a DSN asks for one).
const BUNDLED: Record<string, () => unknown> = {
  pg: () => require('pg'),
  mysql2: () => require('mysql2'),
};

export function createRequire(_path: string | URL): NodeJS.Require {
  let real: NodeJS.Require | undefined;
  const node = (): NodeJS.Require => (real ??= nodeModule.createRequire(pathToFileURL(process.execPath)));
  const load = (id: string): unknown => (Object.hasOwn(BUNDLED, id) ? BUNDLED[id]!() : node()(id));
  return Object.assign(load, {
    resolve: ((request: string, options?: { paths?: string[] }) => node().resolve(request, options)) as NodeJS.RequireResolve,
    get cache() {
      return node().cache;
    },
    get extensions() {
      return node().extensions;
    },
    get main() {
      return node().main;
    },
  });
}
