/** How numbers and times read on every page. */

export function rate(perSecond: number): string {
  return `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1)} req/s`;
}

export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.1 ? 2 : 1)} %`;
}

/** Seconds as milliseconds (or seconds when long). */
export function latency(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(1)} ms`;
}

export function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export function time(at: number | string | undefined): string {
  if (at === undefined) return '–';
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toLocaleString();
}

export function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString();
}
