/**
 * Enough of npm's version ranges to read `engines.node`: comparators
 * (`>=24.11.0 <25`, `=24.1.0`, `24.11.0`), x-ranges (`24`, `24.x`), caret and
 * tilde ranges, joined by spaces (and) and `||` (or). Anything else is
 * refused rather than guessed.
 */

type Version = [number, number, number];
type Test = (v: Version) => boolean;

export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version.replace(/^v/, ''));
  if (v === undefined) throw new Error(`"${version}" is not a version`);
  // Every comparator is read before any is applied, so an unreadable one is never skipped.
  const alternatives = range.split('||').map((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((part) => comparator(part, range)),
  );
  return alternatives.some((tests) => tests.every((test) => test(v)));
}

function comparator(part: string, range: string): Test {
  const match = /^(>=|<=|>|<|=|\^|~)?v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/.exec(part);
  if (match === null) throw new Error(`cannot read the version range "${range}" (at "${part}")`);
  const [, op = '', ...raw] = match;
  const given = raw.filter((p) => p !== undefined && p !== 'x' && p !== '*').map(Number);
  const floor: Version = [given[0] ?? 0, given[1] ?? 0, given[2] ?? 0];
  const partial = given.length < 3;
  const ceiling = (): Version => {
    if (given.length === 0) return [Number.POSITIVE_INFINITY, 0, 0];
    if (given.length === 1) return [floor[0] + 1, 0, 0];
    return [floor[0], floor[1] + 1, 0];
  };
  switch (op) {
    case '>=':
      return (v) => compare(v, floor) >= 0;
    case '>':
      return partial ? (v) => compare(v, ceiling()) >= 0 : (v) => compare(v, floor) > 0;
    case '<=':
      return partial ? (v) => compare(v, ceiling()) < 0 : (v) => compare(v, floor) <= 0;
    case '<':
      return (v) => compare(v, floor) < 0;
    case '^': {
      const upper: Version =
        floor[0] > 0 || given.length < 2
          ? [floor[0] + 1, 0, 0]
          : floor[1] > 0 || given.length < 3
            ? [0, floor[1] + 1, 0]
            : [0, 0, floor[2] + 1];
      return (v) => compare(v, floor) >= 0 && compare(v, upper) < 0;
    }
    case '~': {
      const upper: Version = given.length < 2 ? [floor[0] + 1, 0, 0] : [floor[0], floor[1] + 1, 0];
      return (v) => compare(v, floor) >= 0 && compare(v, upper) < 0;
    }
    default:
      // `=1.2.3`, `1.2.3`, or an x-range such as `24` or `24.x`.
      return partial ? (v) => compare(v, floor) >= 0 && compare(v, ceiling()) < 0 : (v) => compare(v, floor) === 0;
  }
}

function parseVersion(text: string): Version | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}
