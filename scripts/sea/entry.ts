import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

// A whole import declaration as tsc writes it: `import x from '…';`, `import { a,\n b } from '…';`, `import '…';`.
const IMPORT_DECLARATION = /^import\s[^;]*;/gm;

/**
 * Every entry point ends in `await <service>.main();`: top-level await, which a
 * CommonJS bundle (what an executable's main script must be) cannot hold. The
 * entry's import declarations stay at the top and the rest of its body runs in
 * an async function; a failure ends the process with code 1 as a rejected
 * top-level await would.
 */
export function topLevelAwaitEntry(entry: string): Plugin {
  return {
    name: 'flotilla-sea-entry',
    setup(build) {
      build.onLoad({ filter: /.*/ }, async (args) => {
        if (args.path !== entry) return undefined;
        const source = await readFile(entry, 'utf8');
        const imports = source.match(IMPORT_DECLARATION) ?? [];
        const body = source.replace(IMPORT_DECLARATION, '');
        return {
          contents: [
            ...imports,
            '(async () => {',
            body,
            '})().catch((error) => {',
            '  console.error(error);',
            '  process.exit(1);',
            '});',
          ].join('\n'),
          loader: entry.endsWith('.ts') ? 'ts' : 'js',
        };
      });
    },
  };
}
