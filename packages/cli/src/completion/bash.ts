/**
 * The bash completion script, generated from the command tree: one `case`
 * per question (which subcommands, which options, which options take a value,
 * which values) keyed by the command path, so it runs on bash 3.2 too (no
 * associative arrays). Words the tree knows nothing about fall back to file
 * names (`complete -o default`).
 */
import type { CommandNode } from './command-tree.ts';

export function bashScript(tree: CommandNode[], program: string): string {
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const key = (node: CommandNode): string => quote(node.path.join(' '));
  const table = (name: string, rows: Array<[string, string]>): string[] => [
    `${fn}_${name}() {`,
    '  case "$1" in',
    ...rows.filter(([, words]) => words !== '').map(([label, words]) => `    ${label}) echo ${quote(words)} ;;`),
    '  esac',
    '}',
  ];
  const options = (node: CommandNode): string => node.options.flatMap((o) => o.flags).join(' ');
  const valued = (node: CommandNode): string =>
    node.options
      .filter((o) => o.takesValue)
      .flatMap((o) => o.flags)
      .join(' ');
  const choiceRows: Array<[string, string]> = tree.flatMap((node) =>
    node.options
      .filter((o) => o.takesValue && o.choices.length > 0)
      .flatMap((o) => o.flags.map((flag): [string, string] => [quote(`${node.path.join(' ')} ${flag}`), o.choices.join(' ')])),
  );
  return [
    `# ${program} completion for bash, generated from the command definitions by \`${program} completion bash\`.`,
    `# Load it in this shell: source <(${program} completion bash)`,
    `# Or for every shell: ${program} completion bash > ~/.local/share/bash-completion/completions/${program}`,
    '',
    ...table(
      'commands',
      tree.map((node) => [key(node), node.subcommands.map((s) => s.name).join(' ')]),
    ),
    ...table(
      'options',
      tree.map((node) => [key(node), options(node)]),
    ),
    ...table(
      'valued',
      tree.map((node) => [key(node), valued(node)]),
    ),
    ...table('choices', choiceRows),
    ...table(
      'arguments',
      tree.map((node) => [key(node), node.argumentChoices.join(' ')]),
    ),
    '',
    `${fn}() {`,
    `  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd_path=${quote(program)} word i`,
    '  COMPREPLY=()',
    '  # The command path so far: known subcommands extend it; an option that takes a value skips that value.',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    word="${COMP_WORDS[i]}"',
    `    if [[ "$word" != *=* && " $(${fn}_valued "$cmd_path") " == *" $word "* ]]; then`,
    '      ((i++))',
    '      continue',
    '    fi',
    `    if [[ " $(${fn}_commands "$cmd_path") " == *" $word "* ]]; then cmd_path="$cmd_path $word"; fi`,
    '  done',
    '  ((COMP_CWORD > 1)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"',
    `  if [[ -n "$prev" && " $(${fn}_valued "$cmd_path") " == *" $prev "* ]]; then`,
    `    COMPREPLY=($(compgen -W "$(${fn}_choices "$cmd_path $prev")" -- "$cur"))`,
    '    return 0',
    '  fi',
    '  if [[ "$cur" == -* ]]; then',
    `    COMPREPLY=($(compgen -W "$(${fn}_options "$cmd_path")" -- "$cur"))`,
    '    return 0',
    '  fi',
    `  COMPREPLY=($(compgen -W "$(${fn}_commands "$cmd_path") $(${fn}_arguments "$cmd_path")" -- "$cur"))`,
    '}',
    '',
    `complete -o default -F ${fn} ${program}`,
    '',
  ].join('\n');
}

/** Single-quoted for the shell. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
