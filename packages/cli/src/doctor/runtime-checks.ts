/** The Node that runs the command against the root package.json's `engines.node`, and the native addons loading in it. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Check, failed, firstLine, passed } from './check.ts';
import { satisfies } from './node-range.ts';

const run = promisify(execFile);

/**
 * The addons the services load, each with a probe that really opens it (a
 * require alone may not load the binary); as in scripts/native-addons.mjs.
 */
const NATIVE_ADDONS: Record<string, string> = {
  'better-sqlite3': "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()",
};

export const nodeVersion: Check = async ({ root }) => {
  const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node;
  const running = `Node ${process.version} (${process.execPath})`;
  if (engines === undefined) return [passed('node', `${running}; the root package.json sets no engines.node`)];
  let ok: boolean;
  try {
    ok = satisfies(process.version, engines);
  } catch (error) {
    return [
      failed('node', `${running}: ${firstLine(error)}`, 'write engines.node in the root package.json as comparators, e.g. ">=24.11.0 <25"'),
    ];
  }
  if (ok) return [passed('node', `${running} satisfies engines.node "${engines}"`)];
  const pinned = join(root, 'node_modules', '.bin', 'node');
  return [
    failed(
      'node',
      `${running} does not satisfy engines.node "${engines}"`,
      existsSync(pinned)
        ? `put the Node npm installed first: export PATH="${join(root, 'node_modules', '.bin')}:$PATH"`
        : `install a Node matching "${engines}" (e.g. nvm install 24), then npm install`,
    ),
  ];
};

/** Probed in a child process: an addon built for another Node can crash the process that loads it. */
export const nativeAddons: Check = async ({ root, timeoutMs }) =>
  Promise.all(
    Object.entries(NATIVE_ADDONS).map(async ([name, probe]) => {
      const id = `native-addon:${name}`;
      try {
        await run(process.execPath, ['-e', probe], { cwd: root, timeout: timeoutMs });
        return passed(id, `${name} loads in Node ${process.version} (ABI ${process.versions.modules})`);
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? '';
        const reason =
          stderr
            .split('\n')
            .find((line) => /Error|error:/.test(line))
            ?.trim() ?? firstLine(error);
        return failed(
          id,
          `${name} does not load in Node ${process.version}: ${reason}`,
          `rebuild it for this Node: node scripts/native-addons.mjs (or npm rebuild ${name})`,
        );
      }
    }),
  );
