/**
 * Stands in for `node:module` in the kit's own modules inside the executable
 * (packages in node_modules keep Node's). The kit loads the pg and mysql2
 * drivers on first use through `createRequire(import.meta.url)`; an
 * executable has no node_modules to find them in, so they are bundled here
 * and handed out by name. createRequire is all the kit imports from
 * node:module: another name fails the bundle, not the executable.
 */
import * as nodeModule from 'node:module';

// Static require() calls, so that esbuild bundles the drivers (lazily initialised: free until a DSN asks for one).
const BUNDLED: Record<string, () => unknown> = {
  pg: () => require('pg'),
  mysql2: () => require('mysql2'),
};

export function createRequire(path: string | URL): NodeJS.Require {
  const real = nodeModule.createRequire(path);
  const load = (id: string): unknown => (Object.hasOwn(BUNDLED, id) ? BUNDLED[id]!() : real(id));
  return Object.assign(load, { resolve: real.resolve, cache: real.cache, extensions: real.extensions, main: real.main });
}
