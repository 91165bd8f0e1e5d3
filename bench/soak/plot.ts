/**
 * A soak's series over time as an SVG line chart, turned into a PNG by
 * Debian's headless Chromium (`apt-get install chromium`) when it is there:
 * no plotting library needed for a few lines on two axes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

const WIDTH = 960;
const HEIGHT = 540;
const PAD = { left: 64, right: 220, top: 40, bottom: 48 };
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** One line: `points` are [seconds since the load started, value]. */
export interface Series {
  label: string;
  points: [number, number][];
  colour?: string;
  dashed?: boolean;
}

export interface Chart {
  title: string;
  yLabel: string;
  /** A dashed vertical line here, in seconds (the end of warm-up). */
  markerSeconds?: number;
  series: Series[];
}

function niceStep(max: number): number {
  const raw = max / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

export function renderSvg(chart: Chart): string {
  const all = chart.series.flatMap((line) => line.points);
  const tMax = Math.max(60, ...all.map(([t]) => t));
  const yMaxRaw = Math.max(...all.map(([, v]) => v), 1);
  const yStep = niceStep(yMaxRaw);
  const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number): number => PAD.left + (t / tMax) * plotW;
  const y = (v: number): number => PAD.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  parts.push(`<title>${chart.title}</title>`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${PAD.left}" y="24" font-size="16" font-family="sans-serif">${chart.title}</text>`);
  for (let v = 0; v <= yMax; v += yStep) {
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${PAD.left - 8}" y="${y(v) + 4}" font-size="12" text-anchor="end" font-family="sans-serif">${v}</text>`);
  }
  for (let m = 0; m * 60 <= tMax; m++) {
    parts.push(
      `<text x="${x(m * 60)}" y="${PAD.top + plotH + 18}" font-size="12" text-anchor="middle" font-family="sans-serif">${m}</text>`,
    );
  }
  parts.push(
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 10}" font-size="12" text-anchor="middle" font-family="sans-serif">minutes under load</text>`,
  );
  parts.push(
    `<text x="16" y="${PAD.top + plotH / 2}" font-size="12" font-family="sans-serif" transform="rotate(-90 16 ${PAD.top + plotH / 2})" text-anchor="middle">${chart.yLabel}</text>`,
  );
  if (chart.markerSeconds !== undefined)
    parts.push(
      `<line x1="${x(chart.markerSeconds)}" x2="${x(chart.markerSeconds)}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#999" stroke-dasharray="4 4"/>`,
    );
  chart.series.forEach((line, i) => {
    const colour = line.colour ?? PALETTE[i % PALETTE.length]!;
    const points = line.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const dash = line.dashed === true ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${points}"/>`);
    const ly = PAD.top + 20 + i * 22;
    parts.push(
      `<line x1="${WIDTH - PAD.right + 16}" x2="${WIDTH - PAD.right + 40}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${WIDTH - PAD.right + 46}" y="${ly + 4}" font-size="12" font-family="sans-serif">${line.label}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${parts.join('')}</svg>\n`;
}

/** Writes `svgFile` and, when Chromium is there, the PNG next to it; returns the PNG's path or undefined. */
export function writePlot(svg: string, svgFile: string, pngFile: string, chromium: string | undefined): string | undefined {
  writeFileSync(svgFile, svg);
  if (chromium === undefined || !existsSync(chromium)) return undefined;
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      // Nothing but the local file: no update checks, no sync, no first-run fetches.
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      `--window-size=${WIDTH},${HEIGHT}`,
      `--screenshot=${pngFile}`,
      `file://${svgFile}`,
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  return pngFile;
}
