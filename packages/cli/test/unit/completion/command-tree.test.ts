/** Reading a Commander program's definitions into the tree the completion scripts are made from. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Argument, Command, Option } from 'commander';
import { bashScript } from '../../../src/completion/bash.ts';
import { commandTree } from '../../../src/completion/command-tree.ts';
import { zshScript } from '../../../src/completion/zsh.ts';

function program(): Command {
  const root = new Command('tool');
  const store = root.command('store').description("Keep things\nsecond line isn't shown");
  store
    .command('put')
    .alias('add')
    .description('Put one')
    .option('-f, --file <file>', 'from a file')
    .addOption(new Option('--mode <mode>', 'how').choices(['fast', 'safe']))
    .option('--dry-run', 'only say what would happen');
  root.command('secret', { hidden: true });
  root.command('shell').addArgument(new Argument('<shell>').choices(['bash', 'zsh']));
  return root;
}

test('commands, aliases, options and choices, hidden commands left out', () => {
  const tree = commandTree(program());
  assert.deepEqual(
    tree.map((n) => n.path.join(' ')),
    ['tool', 'tool store', 'tool store put', 'tool shell'],
  );
  const root = tree[0]!;
  assert.deepEqual(
    root.subcommands.map((s) => s.name),
    ['store', 'shell', 'help'],
  );
  assert.equal(root.subcommands[0]?.description, 'Keep things');
  const put = tree.find((n) => n.path.join(' ') === 'tool store put')!;
  assert.deepEqual(
    tree.find((n) => n.path.join(' ') === 'tool store')?.subcommands.map((s) => s.name),
    ['put', 'add', 'help'],
  );
  assert.deepEqual(put.options, [
    { flags: ['-f', '--file'], description: 'from a file', takesValue: true, choices: [] },
    { flags: ['--mode'], description: 'how', takesValue: true, choices: ['fast', 'safe'] },
    { flags: ['--dry-run'], description: 'only say what would happen', takesValue: false, choices: [] },
    { flags: ['-h', '--help'], description: 'display help for command', takesValue: false, choices: [] },
  ]);
  assert.deepEqual(tree.find((n) => n.path.join(' ') === 'tool shell')?.argumentChoices, ['bash', 'zsh']);
});

test('both scripts carry the tree, quoted for the shell', () => {
  const tree = commandTree(program());
  const bash = bashScript(tree, 'tool');
  assert.match(bash, /'tool store put --mode'\) echo 'fast safe' ;;/);
  assert.match(bash, /'tool store put'\) echo '-f --file --mode' ;;/);
  assert.match(bash, /\ncomplete -o default -F _tool tool\n$/);
  const zsh = zshScript(tree, 'tool');
  assert.match(zsh, /'tool'\) reply=\('store:Keep things' 'shell:' 'help:display help for command'\) ;;/);
  assert.match(zsh, /'--dry-run:only say what would happen'/);
});
