/**
 * A line diff in unified format. Config documents are small (hundreds of
 * lines), so a plain longest-common-subsequence table is fast enough and
 * keeps the code obvious.
 */

type Edit = { op: ' ' | '-' | '+'; line: string };

export function unifiedDiff(before: string, after: string, fromLabel: string, toLabel: string, context = 3): string {
  if (before === after) return '';
  const edits = lineEdits(splitLines(before), splitLines(after));
  const hunks = groupHunks(edits, context);
  if (hunks.length === 0) return '';
  return `${[`--- ${fromLabel}`, `+++ ${toLabel}`, ...hunks].join('\n')}\n`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lineEdits(a: string[], b: string[]): Edit[] {
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      edits.push({ op: '-', line: a[i++]! });
    } else {
      edits.push({ op: '+', line: b[j++]! });
    }
  }
  while (i < a.length) edits.push({ op: '-', line: a[i++]! });
  while (j < b.length) edits.push({ op: '+', line: b[j++]! });
  return edits;
}

function groupHunks(edits: Edit[], context: number): string[] {
  const changed = edits.map((e, index) => (e.op === ' ' ? -1 : index)).filter((index) => index >= 0);
  const out: string[] = [];
  let cursor = 0;
  while (cursor < changed.length) {
    const start = Math.max(0, changed[cursor]! - context);
    let end = Math.min(edits.length, changed[cursor]! + context + 1);
    while (cursor + 1 < changed.length && changed[cursor + 1]! - context <= end) {
      cursor++;
      end = Math.min(edits.length, changed[cursor]! + context + 1);
    }
    cursor++;
    const before = edits.slice(0, start);
    const slice = edits.slice(start, end);
    const aStart = before.filter((e) => e.op !== '+').length;
    const bStart = before.filter((e) => e.op !== '-').length;
    const aLen = slice.filter((e) => e.op !== '+').length;
    const bLen = slice.filter((e) => e.op !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const edit of slice) out.push(`${edit.op}${edit.line}`);
  }
  return out;
}
