/**
 * A small line chart of one value over the traffic window: an SVG polyline,
 * x by time from `from` to `to`, y from 0 to the largest value shown.
 */
export interface SparklineProps {
  points: Array<{ t: number; v: number }>;
  from: number;
  to: number;
  /** What it shows, for screen readers ("rate of /api/users/** over 15 minutes"). */
  label: string;
  width?: number;
  height?: number;
}

export function Sparkline({ points, from, to, label, width = 160, height = 32 }: SparklineProps) {
  const max = Math.max(0, ...points.map((p) => (Number.isFinite(p.v) ? p.v : 0)));
  const span = Math.max(1, to - from);
  const pad = 2;
  const x = (t: number): number => pad + ((t - from) / span) * (width - 2 * pad);
  const y = (v: number): number => height - pad - (max === 0 ? 0 : (Math.max(0, v) / max) * (height - 2 * pad));
  const shown = points.filter((p) => Number.isFinite(p.v) && p.t >= from);
  const line = shown.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const last = shown.at(-1);
  return (
    <svg class="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <line x1={pad} x2={width - pad} y1={height - pad} y2={height - pad} class="sparkline-axis" />
      {line === '' ? null : <polyline points={line} class="sparkline-line" fill="none" />}
      {/* The latest value, visible even while the window holds a single point. */}
      {last === undefined ? null : <circle cx={x(last.t)} cy={y(last.v)} r="2" class="sparkline-dot" />}
    </svg>
  );
}
