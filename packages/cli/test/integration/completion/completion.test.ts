/**
 * `flotilla completion bash`, sourced in a real bash: completing words the
 * way readline asks (COMP_WORDS/COMP_CWORD, then COMPREPLY) gives the
 * commands, subcommands, options and choices the program defines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type TempDir } from '@flotilla/testing';

describe('flotilla completion bash', () => {
  let dir: TempDir;
  let script: string;
  before(async () => {
    dir = tempDir('completion');
    const result = await runCli(['completion', 'bash']);
    assert.equal(result.code, 0, result.stderr);
    script = join(dir.path, 'flotilla.bash');
    writeFileSync(script, result.stdout);
  });
  after(() => dir?.remove());

  /** What bash offers for the command line `words`, the last one being completed. */
  const complete = (...words: string[]): string[] => {
    const array = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const output = execFileSync(
      'bash',
      [
        '-c',
        `source "$1"; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _flotilla; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        script,
      ],
      { encoding: 'utf8' },
    );
    return output.split('\n').filter(Boolean).sort();
  };

  test('the script registers itself for flotilla', () => {
    const registered = execFileSync('bash', ['-c', 'source "$1"; complete -p flotilla', 'bash', script], { encoding: 'utf8' });
    assert.match(registered, /complete -o default -F _flotilla flotilla/);
  });

  test('a command prefix completes to the command', () => {
    assert.deepEqual(complete('flotilla', 'con'), ['config']);
    assert.deepEqual(complete('flotilla', 'd'), ['deploy', 'dev', 'doctor']);
  });

  test('after a command, its subcommands', () => {
    assert.deepEqual(complete('flotilla', 'config', ''), [
      'diff',
      'edit',
      'get',
      'help',
      'history',
      'ls',
      'rollback',
      'schema',
      'set',
      'status',
    ]);
    assert.deepEqual(complete('flotilla', 'new', ''), ['help', 'service']);
  });

  test("a dash completes the command's own options; an option's value is skipped when finding the command", () => {
    assert.deepEqual(complete('flotilla', 'config', 'get', '--ns', 'dev', '--ser'), ['--service']);
    assert.deepEqual(complete('flotilla', 'new', 'service', 'inventory', '--no-'), ['--no-database', '--no-grpc']);
    assert.ok(complete('flotilla', 'doctor', '-').includes('--json'));
  });

  test('declared choices complete an argument or an option value', () => {
    assert.deepEqual(complete('flotilla', 'completion', ''), ['bash', 'zsh']);
    assert.deepEqual(complete('flotilla', 'doctor', '--registry-backend', ''), ['etcd', 'kubernetes', 'local']);
    assert.deepEqual(complete('flotilla', 'doctor', '--registry-backend', 'e'), ['etcd']);
  });

  test('a free value offers nothing of its own (bash falls back to file names)', () => {
    assert.deepEqual(complete('flotilla', 'config', 'get', '--ns', ''), []);
  });
});

test('flotilla completion zsh prints a compdef script; another shell is a usage error', async () => {
  const zsh = await runCli(['completion', 'zsh']);
  assert.equal(zsh.code, 0, zsh.stderr);
  assert.match(zsh.stdout, /^#compdef flotilla\n/);
  assert.match(zsh.stdout, /'flotilla config'\) reply=\('get:Print a version/);
  assert.match(zsh.stdout, /\n {2}compdef _flotilla flotilla\n/);
  const fish = await runCli(['completion', 'fish']);
  assert.equal(fish.code, 1);
  assert.match(fish.stderr, /Allowed choices are bash, zsh/);
});
