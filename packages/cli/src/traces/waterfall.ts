/** A trace as text: one line per span, indented under its parent, with a bar placed on the trace's time axis. */
import type { Waterfall } from '../dev/trace-views.ts';

const MIN_BAR = 10;

export function waterfallLines(trace: Waterfall, columns: number): string[] {
  const labels = trace.spans.map((s) => `${'  '.repeat(s.depth)}${s.service} ${s.kind} ${s.name}${s.error ? ' (error)' : ''}`);
  const labelWidth = Math.max(...labels.map((l) => l.length), 4);
  const barWidth = Math.max(MIN_BAR, columns - labelWidth - 14);
  const scale = trace.durationMs > 0 ? barWidth / trace.durationMs : 0;
  const lines = [`trace ${trace.traceId}: ${trace.spans.length} spans, ${trace.durationMs.toFixed(1)} ms`];
  trace.spans.forEach((span, i) => {
    const from = Math.min(barWidth - 1, Math.floor(span.offsetMs * scale));
    const width = Math.max(1, Math.min(barWidth - from, Math.round(span.durationMs * scale)));
    const bar = `${' '.repeat(from)}${'█'.repeat(width)}`.padEnd(barWidth);
    lines.push(`${(labels[i] as string).padEnd(labelWidth)}  ${bar}  ${span.durationMs.toFixed(1).padStart(7)} ms`);
  });
  return lines;
}
