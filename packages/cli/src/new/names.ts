/**
 * A new service's name and the spellings the templates need: the name is a
 * folder, a package (`@flotilla/<name>`), a config document, an env prefix and
 * a proto package, so it is checked once, here, before anything is written.
 */
import { UsageError } from '../exit-codes.ts';

export interface ServiceNames {
  /** As given: `stock-levels` (folder, package, config document, URL segment). */
  name: string;
  /** `StockLevels`: types and classes. */
  pascal: string;
  /** `stockLevels`: values. */
  camel: string;
  /** `STOCK_LEVELS`: environment variables (`FLOTILLA_STOCK_LEVELS__HTTP__PORT`). */
  env: string;
  /** `stock_levels`: the proto package `flotilla.stock_levels.v1` and its folder. */
  proto: string;
}

export const NAME_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;

/** Config documents that are not services. */
const RESERVED = new Set(['shared']);

export function serviceNames(name: string): ServiceNames {
  if (!NAME_PATTERN.test(name) || name.endsWith('-') || name.includes('--')) {
    throw new UsageError(
      `invalid service name "${name}": 2–31 characters, a lower-case letter first, then lower-case letters, digits and single dashes, not ending in a dash`,
    );
  }
  if (RESERVED.has(name)) throw new UsageError(`invalid service name "${name}": reserved for the keys every service shares`);
  const words = name.split('-');
  const capitalised = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return {
    name,
    pascal: capitalised.join(''),
    camel: (words[0] ?? '') + capitalised.slice(1).join(''),
    env: words.join('_').toUpperCase(),
    proto: words.join('_'),
  };
}
