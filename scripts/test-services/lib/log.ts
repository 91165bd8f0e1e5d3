// Progress lines go to stderr so that stdout stays clean for `export` lines.

export type Log = (message: string) => void;

export const stderrLog: Log = (message) => {
  process.stderr.write(`[test-services] ${message}\n`);
};

export function seconds(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)}s`;
}
