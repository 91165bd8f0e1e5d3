/**
 * `flotilla completion zsh`, sourced in a real zsh. zsh's completion system
 * needs a terminal, so its entry points are replaced by functions that print
 * what they are given (`_describe`, `compadd`, `_files`); everything else —
 * finding the command among the words, skipping option values, choosing
 * commands, options or choices — is the generated script, run by zsh.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type TempDir } from '@flotilla/testing';
import { ensureZsh } from '../../../../../scripts/test-services/zsh.ts';

const STUBS = `
compdef() { print -r -- "compdef $*" >&2 }
_describe() { local -a items; items=("\${(@P)4}"); print -rl -- "\${items[@]%%:*}" }
compadd() { [[ $1 == -a ]] && print -rl -- "\${(@P)2}" }
_files() { print -r -- '<files>' }
`;

describe('flotilla completion zsh', () => {
  let dir: TempDir;
  let script: string;
  let zsh: string;
  before(async () => {
    zsh = await ensureZsh();
    dir = tempDir('completion-zsh');
    const result = await runCli(['completion', 'zsh']);
    assert.equal(result.code, 0, result.stderr);
    script = join(dir.path, '_flotilla');
    writeFileSync(script, result.stdout);
  });
  after(() => dir?.remove());

  /** What zsh offers for the command line `words`, the last one being completed. */
  const complete = (...words: string[]): string[] => {
    const array = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const program = `${STUBS}\nsource "$1"\nwords=(${array}); CURRENT=${words.length}\n_flotilla`;
    const output = execFileSync(zsh, ['-f', '-c', program, 'zsh', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return output.split('\n').filter(Boolean).sort();
  };

  test('sourced, it registers itself for flotilla', () => {
    const stderr = execFileSync(zsh, ['-f', '-c', `${STUBS}\nsource "$1" 2>&1`, 'zsh', script], { encoding: 'utf8' });
    assert.match(stderr, /compdef _flotilla flotilla/);
  });

  test('a command prefix, then subcommands', () => {
    assert.ok(complete('flotilla', '').includes('config'));
    assert.ok(complete('flotilla', '').includes('deploy'));
    assert.ok(complete('flotilla', 'new', '').includes('service'));
  });

  test("a dash completes the command's own options; an option's value is skipped when finding the command", () => {
    const options = complete('flotilla', 'config', 'get', '--ns', 'dev', '-');
    assert.ok(options.includes('--service') && options.includes('--version'));
    assert.ok(!options.includes('--message'), 'only the options of config get');
    assert.ok(complete('flotilla', 'new', 'service', 'inventory', '-').includes('--no-database'));
  });

  test('declared choices complete an argument or an option value; a free value falls back to files', () => {
    assert.deepEqual(complete('flotilla', 'completion', ''), ['bash', 'zsh']);
    assert.deepEqual(complete('flotilla', 'doctor', '--registry-backend', ''), ['etcd', 'kubernetes', 'local']);
    assert.deepEqual(complete('flotilla', 'config', 'get', '--ns', ''), ['<files>']);
  });
});
