/** Parses the Prometheus text exposition into samples, for assertions. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`Unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL))
      labels[key as string] = (value as string).replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Samples named `name` whose labels include `match`. */
export function select(samples: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The single value of `name` with labels `match` (fails when there is not exactly one). */
export function sampleValue(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  const found = select(samples, name, match);
  if (found.length !== 1) throw new Error(`Expected one ${name}${JSON.stringify(match)}, found ${found.length}`);
  return (found[0] as Sample).value;
}

export async function scrape(baseUrl: string): Promise<{ contentType: string | null; samples: Sample[]; text: string }> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  return { contentType: response.headers.get('content-type'), samples: parseExposition(text), text };
}
