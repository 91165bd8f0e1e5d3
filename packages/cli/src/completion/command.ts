/** `flotilla completion bash|zsh`: a completion script generated from this program's own command definitions. */
import { Argument, type Command } from 'commander';
import { bashScript } from './bash.ts';
import { commandTree } from './command-tree.ts';
import { zshScript } from './zsh.ts';

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script for flotilla (its commands, options and their choices)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh']))
    .addHelpText('after', '\nExamples:\n  source <(flotilla completion bash)\n  source <(flotilla completion zsh)     # after compinit')
    .action((shell: 'bash' | 'zsh') => {
      const tree = commandTree(program);
      process.stdout.write(shell === 'bash' ? bashScript(tree, program.name()) : zshScript(tree, program.name()));
    });
}
