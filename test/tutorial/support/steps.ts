/**
 * The steps of a tutorial section of a Markdown file, in order: each line of
 * a ```sh block is a command (comments and blank lines skipped, a trailing
 * `\` joins the next line), a ```diff block is a patch the reader applies,
 * and `<!-- tutorial: ctrl-c -->` stands where the reader presses Ctrl-C in
 * the terminal running the last long-running command. Other blocks (```text)
 * are what the reader sees, not steps.
 */

export type Step = { kind: 'command'; command: string } | { kind: 'patch'; patch: string } | { kind: 'ctrl-c' };

const MARKER = /^<!--\s*tutorial:\s*(\S+)\s*-->$/;
const FENCE = /^```(\S*)/;

export function tutorialSteps(markdown: string, heading: string): Step[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);

  const steps: Step[] = [];
  for (let i = 0; i < section.length; i++) {
    const line = section[i] as string;
    const marker = MARKER.exec(line.trim());
    if (marker !== null) {
      if (marker[1] !== 'ctrl-c') throw new Error(`unknown tutorial marker "${marker[1]}" (known: ctrl-c)`);
      steps.push({ kind: 'ctrl-c' });
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence === null) continue;
    const body: string[] = [];
    for (i++; i < section.length && !/^```\s*$/.test(section[i] as string); i++) body.push(section[i] as string);
    if (i >= section.length) throw new Error(`a \`\`\`${fence[1]} block in "${heading}" is not closed`);
    if (fence[1] === 'sh') steps.push(...commandsOf(body).map((command) => ({ kind: 'command' as const, command })));
    else if (fence[1] === 'diff') steps.push({ kind: 'patch', patch: `${body.join('\n')}\n` });
  }
  return steps;
}

function commandsOf(lines: string[]): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    commands.push(pending + line);
    pending = '';
  }
  if (pending !== '') commands.push(pending.trim());
  return commands;
}
