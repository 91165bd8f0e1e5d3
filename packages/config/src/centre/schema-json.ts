/**
 * TypeBox schemas as portable JSON, and the keys a schema marks as needing a
 * restart. TypeBox keeps its kind markers (`~kind`, `~optional`) as
 * non-enumerable properties, which JSON.stringify drops; they are kept here so
 * that a tool loading the JSON gets the same defaults and conversions.
 */
import type { TSchema } from 'typebox';
import { isPlainObject } from '../merge.ts';

/** The schema keyword that marks a key (and everything under it) as restart-only. */
export const RESTART_KEYWORD = 'x-restart';

export function schemaToJson(schema: TSchema): object {
  return copyWithHidden(schema) as object;
}

function copyWithHidden(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyWithHidden);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(value)) result[key] = copyWithHidden((value as Record<string, unknown>)[key]);
  return result;
}

/** Dotted paths of every property carrying `x-restart: true`. */
export function restartPathsOf(schema: unknown, prefix: string[] = []): string[] {
  if (!isPlainObject(schema)) return [];
  const here = schema[RESTART_KEYWORD] === true && prefix.length > 0 ? [prefix.join('.')] : [];
  const properties = schema.properties;
  const nested = isPlainObject(properties)
    ? Object.entries(properties).flatMap(([key, child]) => restartPathsOf(child, [...prefix, key]))
    : [];
  const variants = ['anyOf', 'oneOf', 'allOf'].flatMap((k) =>
    Array.isArray(schema[k]) ? (schema[k] as unknown[]).flatMap((child) => restartPathsOf(child, prefix)) : [],
  );
  return [...here, ...nested, ...variants];
}
