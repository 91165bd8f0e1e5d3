/**
 * The commands, options and argument choices of a Commander program, read
 * from its definitions (what `--help` shows): the one source the completion
 * scripts are generated from, so a new command or option completes without
 * anyone listing it again.
 */
import type { Command } from 'commander';

export interface OptionSpec {
  /** `-m` and/or `--message`. */
  flags: string[];
  description: string;
  /** `--ns <namespace>`: the next word is its value. */
  takesValue: boolean;
  /** Values declared with `.choices()`; empty: anything (a file, say). */
  choices: string[];
}

export interface CommandNode {
  /** `['flotilla', 'config', 'get']`. */
  path: string[];
  subcommands: Array<{ name: string; description: string }>;
  options: OptionSpec[];
  /** Values the next positional argument may take, when its definition lists them. */
  argumentChoices: string[];
}

/** Every command of the program, parents before children. */
export function commandTree(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string[]): void => {
    const help = command.createHelp();
    const subcommands = help.visibleCommands(command);
    nodes.push({
      path,
      subcommands: subcommands.flatMap((sub) =>
        [sub.name(), ...sub.aliases()].map((name) => ({ name, description: firstLine(sub.description()) })),
      ),
      options: help.visibleOptions(command).map((option) => ({
        flags: [option.short, option.long].filter((flag): flag is string => flag !== undefined),
        description: firstLine(option.description),
        takesValue: option.required || option.optional,
        choices: option.argChoices ?? [],
      })),
      argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
    });
    for (const sub of command.commands) if (subcommands.includes(sub)) visit(sub, [...path, sub.name()]);
  };
  visit(program, [program.name()]);
  return nodes;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
