/**
 * A line diff in unified format, through jsdiff. The headers are written
 * here, not by the library, so that the labels (`namespace/service@version`)
 * appear as they are: the library would quote some and add a tab before
 * timestamps. Text without a final newline is diffed as if it had one: a
 * config document's last newline is not a change worth showing.
 */
import { formatPatch, OMIT_HEADERS, structuredPatch } from 'diff';

export function unifiedDiff(before: string, after: string, fromLabel: string, toLabel: string, context = 3): string {
  const patch = structuredPatch(fromLabel, toLabel, withFinalNewline(before), withFinalNewline(after), undefined, undefined, { context });
  if (patch.hunks.length === 0) return '';
  return `--- ${fromLabel}\n+++ ${toLabel}\n${formatPatch(patch, OMIT_HEADERS)}`;
}

function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
