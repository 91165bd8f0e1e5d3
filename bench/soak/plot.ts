/**
 * The soak's memory over time as an SVG line chart, turned into a PNG by
 * Debian's headless Chromium (`apt-get install chromium`) when it is there:
 * no plotting library needed for four lines on two axes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type { Sample } from './samples.ts';

const WIDTH = 960;
const HEIGHT = 540;
const PAD = { left: 64, right: 200, top: 40, bottom: 48 };

interface Line {
  label: string;
  colour: string;
  pick: (s: Sample) => number;
}

const LINES: Line[] = [
  { label: 'Flotilla RSS', colour: '#1f77b4', pick: (s) => s.flotillaRssMiB },
  { label: 'Flotilla heap total', colour: '#ff7f0e', pick: (s) => s.flotillaHeapTotalMiB },
  { label: 'Flotilla heap used', colour: '#2ca02c', pick: (s) => s.flotillaHeapUsedMiB },
  { label: 'Gin + GORM RSS', colour: '#7f7f7f', pick: (s) => s.ginRssMiB },
];

function niceStep(max: number): number {
  const raw = max / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

export function renderSvg(samples: Sample[], title: string, warmupSeconds: number): string {
  const tMax = Math.max(60, samples.at(-1)?.t ?? 60);
  const yMaxRaw = Math.max(...samples.flatMap((s) => LINES.map((line) => line.pick(s))), 1);
  const yStep = niceStep(yMaxRaw);
  const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number): number => PAD.left + (t / tMax) * plotW;
  const y = (v: number): number => PAD.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${PAD.left}" y="24" font-size="16" font-family="sans-serif">${title}</text>`);
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
    `<text x="16" y="${PAD.top + plotH / 2}" font-size="12" font-family="sans-serif" transform="rotate(-90 16 ${PAD.top + plotH / 2})" text-anchor="middle">MiB</text>`,
  );
  parts.push(
    `<line x1="${x(warmupSeconds)}" x2="${x(warmupSeconds)}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#999" stroke-dasharray="4 4"/>`,
  );
  LINES.forEach((line, i) => {
    const points = samples.map((s) => `${x(s.t).toFixed(1)},${y(line.pick(s)).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${line.colour}" stroke-width="2" points="${points}"/>`);
    const ly = PAD.top + 20 + i * 22;
    parts.push(
      `<line x1="${WIDTH - PAD.right + 16}" x2="${WIDTH - PAD.right + 40}" y1="${ly}" y2="${ly}" stroke="${line.colour}" stroke-width="3"/>`,
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
