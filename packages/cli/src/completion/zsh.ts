/**
 * The zsh completion script, generated from the command tree: the same walk
 * as the bash script (subcommands extend the path, an option taking a value
 * skips it), then `_describe` with each command's and option's description,
 * and `_files` where a value or argument is free.
 */
import type { CommandNode } from './command-tree.ts';

export function zshScript(tree: CommandNode[], program: string): string {
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const label = (node: CommandNode): string => quote(node.path.join(' '));
  const describe = (name: string, description: string): string => quote(`${name.replace(/:/g, '\\:')}:${description}`);
  const caseOf = (name: string, rows: Array<[string, string[]]>, body: (items: string) => string): string[] => [
    `${fn}_${name}() {`,
    '  reply=()',
    '  case "$1" in',
    ...rows.filter(([, items]) => items.length > 0).map(([key, items]) => `    ${key}) ${body(items.join(' '))} ;;`),
    '  esac',
    '}',
  ];
  return [
    `#compdef ${program}`,
    `# ${program} completion for zsh, generated from the command definitions by \`${program} completion zsh\`.`,
    `# Load it in this shell (after compinit): source <(${program} completion zsh)`,
    `# Or for every shell: ${program} completion zsh > "\${fpath[1]}/_${program}"`,
    '',
    ...caseOf(
      'commands',
      tree.map((node) => [label(node), node.subcommands.map((s) => describe(s.name, s.description))]),
      (items) => `reply=(${items})`,
    ),
    ...caseOf(
      'options',
      tree.map((node) => [label(node), node.options.flatMap((o) => o.flags.map((flag) => describe(flag, o.description)))]),
      (items) => `reply=(${items})`,
    ),
    ...caseOf(
      'valued',
      tree.map((node) => [label(node), node.options.filter((o) => o.takesValue).flatMap((o) => o.flags.map(quote))]),
      (items) => `reply=(${items})`,
    ),
    ...caseOf(
      'choices',
      tree.flatMap((node) =>
        node.options
          .filter((o) => o.takesValue && o.choices.length > 0)
          .flatMap((o) => o.flags.map((flag): [string, string[]] => [quote(`${node.path.join(' ')} ${flag}`), o.choices.map(quote)])),
      ),
      (items) => `reply=(${items})`,
    ),
    ...caseOf(
      'arguments',
      tree.map((node) => [label(node), node.argumentChoices.map(quote)]),
      (items) => `reply=(${items})`,
    ),
    '',
    `${fn}() {`,
    `  local cmd_path=${quote(program)} word i`,
    '  local -a reply names described',
    '  for ((i = 2; i < CURRENT; i++)); do',
    '    word=${words[i]}',
    `    ${fn}_valued "$cmd_path"`,
    '    if [[ $word != *=* ]] && (( ${reply[(Ie)$word]} )); then',
    '      ((i++))',
    '      continue',
    '    fi',
    `    ${fn}_commands "$cmd_path"`,
    '    names=(${reply%%:*})',
    '    (( ${names[(Ie)$word]} )) && cmd_path="$cmd_path $word"',
    '  done',
    `  ${fn}_valued "$cmd_path"`,
    '  if (( CURRENT > 2 )) && (( ${reply[(Ie)${words[CURRENT-1]}]} )); then',
    `    ${fn}_choices "$cmd_path \${words[CURRENT-1]}"`,
    '    if (( ${#reply} )); then compadd -a reply; else _files; fi',
    '    return',
    '  fi',
    '  if [[ ${words[CURRENT]} == -* ]]; then',
    `    ${fn}_options "$cmd_path"`,
    '    described=("${reply[@]}")',
    "    _describe -t options 'option' described",
    '    return',
    '  fi',
    `  ${fn}_commands "$cmd_path"`,
    '  if (( ${#reply} )); then',
    '    described=("${reply[@]}")',
    "    _describe -t commands 'command' described",
    '    return',
    '  fi',
    `  ${fn}_arguments "$cmd_path"`,
    '  if (( ${#reply} )); then compadd -a reply; else _files; fi',
    '}',
    '',
    '# Autoloaded from $fpath: complete now; sourced: register.',
    'if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then',
    `  ${fn} "$@"`,
    'else',
    `  compdef ${fn} ${program}`,
    'fi',
    '',
  ].join('\n');
}

/** Single-quoted for the shell. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
