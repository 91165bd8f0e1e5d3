import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

// A whole import declaration as tsc writes it: `import x from '…';`, `import { a,\n b } from '…';`, `import '…';`.
const IMPORT_DECLARATION = /^import\s[^;]*;/gm;

/**
 * Every entry point ends in `await <service>.main();`: top-level await, which a
 * CommonJS bundle (what an executable's main script must be) cannot hold. The
 * entry's import declarations stay at the top and the rest of its body runs in
 * an async function; a failure ends the process with code 1 as a rejected
 * top-level await would. With a start-up snapshot (`snapshot`), that
 * function is the snapshot's main function, run by each process it starts.
 */
export function topLevelAwaitEntry(entry: string, snapshot = false): Plugin {
  return {
    name: 'flotilla-sea-entry',
    setup(build) {
      build.onLoad({ filter: /.*/ }, async (args) => {
        if (args.path !== entry) return undefined;
        const source = await readFile(entry, 'utf8');
        const imports = source.match(IMPORT_DECLARATION) ?? [];
        const body = source.replace(IMPORT_DECLARATION, '');
        const run = ['(async () => {', body, '})().catch((error) => {', '  console.error(error);', '  process.exit(1);', '});'];
        return {
          // In a snapshot build the modules load when the snapshot is made; main() runs in each process, after it is restored.
          contents: [
            ...imports,
            ...(snapshot ? ["require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {", ...run, '});'] : run),
          ].join('\n'),
          loader: entry.endsWith('.ts') ? 'ts' : 'js',
        };
      });
    },
  };
}
