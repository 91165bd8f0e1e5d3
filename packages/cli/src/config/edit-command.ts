/**
 * `config edit`: the head version in $VISUAL/$EDITOR, then stored with
 * compare-and-set against the version that was opened, so an edit that raced
 * another writer is refused rather than overwriting it. When the result is
 * refused (invalid or conflict), the edited file is kept and its path printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFlotillaError } from '@flotilla/kit';
import { UsageError } from '../exit-codes.ts';
import { report, validateOptions, writeOptions, type WriteCommandOptions } from './write-commands.ts';
import { validateDocument } from './validate.ts';
import { withStore } from './store-options.ts';

export async function editCommand(options: WriteCommandOptions): Promise<void> {
  await withStore(options, async (store) => {
    let opened = { text: '', version: 0 };
    try {
      const head = await store.get(options.ns, options.service);
      opened = { text: head.text, version: head.version };
    } catch (error) {
      if (!isFlotillaError(error) || error.code !== 'not-found') throw error;
    }
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-edit-'));
    const file = join(dir, `${options.ns}-${options.service}.yaml`);
    writeFileSync(file, opened.text);
    await runEditor(file);
    const edited = readFileSync(file, 'utf8');
    if (edited === opened.text) {
      rmSync(dir, { recursive: true, force: true });
      process.stderr.write('no changes; nothing stored\n');
      return;
    }
    try {
      const notes = await validateDocument(store, options.ns, options.service, edited, validateOptions(options));
      if (!options.json) for (const note of notes) process.stderr.write(`${note}\n`);
      const document = await store.set(options.ns, options.service, edited, {
        expectedVersion: opened.version,
        ...writeOptions(options),
      });
      rmSync(dir, { recursive: true, force: true });
      report(document, options.json === true);
    } catch (error) {
      process.stderr.write(
        `your edit is kept in ${file}; fix it and run: flotilla config set --ns ${options.ns} --service ${options.service} ${file}\n`,
      );
      throw error;
    }
  });
}

function runEditor(file: string): Promise<void> {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  return new Promise((resolve, reject) => {
    // Through a shell: editors are often configured with arguments ("code --wait").
    const child = spawn(`${editor} "$FLOTILLA_EDIT_FILE"`, {
      shell: true,
      stdio: 'inherit',
      env: { ...process.env, FLOTILLA_EDIT_FILE: file },
    });
    child.once('error', (error) => reject(new UsageError(`cannot run editor "${editor}": ${error.message}`)));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new UsageError(`editor "${editor}" exited with ${code}; nothing stored (your edit is in ${file})`)),
    );
  });
}
