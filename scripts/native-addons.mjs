// Runs after `npm install` (the root `postinstall`, under the pinned Node that npm
// scripts find first on PATH): checks that every native addon loads in this Node
// and, where one does not, builds it from source against this Node's own headers
// (the official Node packages ship include/node; prebuilt binaries from hosts
// outside the registry cannot be fetched here). An addon that still does not load
// fails the install with the reason, rather than failing later inside a service.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const modules = join(root, 'node_modules');
const runtime = `Node ${process.version} (ABI ${process.versions.modules}, N-API ${process.versions.napi})`;

/**
 * The addons we depend on: the Node-API version each is built for (an older Node
 * crashes loading it rather than failing) and how to tell that it really loads
 * (opening it, not just requiring its JS).
 */
const ADDONS = {
  'better-sqlite3': { napi: 10, probe: "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" },
};

/** Packages in node_modules (scoped ones too) that carry C/C++ sources for node-gyp. */
function nativePackages() {
  const found = [];
  const visit = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@')) visit(join(dir, entry.name), `${entry.name}/`);
      else if (existsSync(join(dir, entry.name, 'binding.gyp'))) found.push(`${prefix}${entry.name}`);
    }
  };
  if (existsSync(modules)) visit(modules, '');
  return found;
}

/** Undefined when the probe passes in a fresh process of this Node; otherwise the error it printed. */
function loadFailure(name) {
  const result = spawnSync(process.execPath, ['-e', ADDONS[name].probe], { cwd: root, encoding: 'utf8' });
  if (result.status === 0) return undefined;
  return (
    result.stderr
      .split('\n')
      .find((line) => /Error|error:/.test(line))
      ?.trim() ?? `exit ${result.status ?? result.signal}`
  );
}

/** npm hands its bundled node-gyp to lifecycle scripts. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  return fromNpm !== undefined && existsSync(fromNpm) ? fromNpm : undefined;
}

/** The running Node's headers, when it is an official binary package (include/node next to bin/). */
function nodeDir() {
  const dir = dirname(dirname(process.execPath));
  return existsSync(join(dir, 'include', 'node', 'node_version.h')) ? dir : undefined;
}

function buildFromSource(name) {
  const gyp = nodeGyp();
  if (gyp === undefined) {
    console.error('[native-addons] node-gyp not found: run this through npm (npm install, or npm run postinstall)');
    return false;
  }
  const dir = nodeDir();
  const env = { ...process.env };
  // A user-level nodedir (for example /usr, the system Node's headers) would target another ABI.
  if (dir === undefined) delete env.npm_config_nodedir;
  else env.npm_config_nodedir = dir;
  const args = [gyp, 'rebuild', '--release', '--force_build=1', ...(dir === undefined ? [] : [`--nodedir=${dir}`])];
  console.error(`[native-addons] building ${name} from source for ${runtime}`);
  return spawnSync(process.execPath, args, { cwd: join(modules, name), env, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
}

let failed = 0;
for (const name of Object.keys(ADDONS)) {
  if (!existsSync(join(modules, name))) continue;
  if (Number(process.versions.napi) < ADDONS[name].napi) {
    failed++;
    console.error(`[native-addons] ${name} needs Node-API ${ADDONS[name].napi} (Node.js 24, as package.json pins it); this is ${runtime}`);
    continue;
  }
  const failure = loadFailure(name);
  if (failure === undefined) continue;
  console.error(`[native-addons] ${name} does not load under ${runtime}: ${failure}`);
  const after = buildFromSource(name) ? loadFailure(name) : 'node-gyp rebuild failed (a C/C++ toolchain: make, g++, python3)';
  if (after === undefined) continue;
  failed++;
  console.error(`[native-addons] ${name} still does not load under ${runtime}: ${after}`);
}
for (const name of nativePackages().filter((n) => !(n in ADDONS))) {
  console.error(`[native-addons] ${name} is a native addon not listed in scripts/native-addons.mjs: add it`);
  failed++;
}
process.exit(failed > 0 ? 1 : 0);
