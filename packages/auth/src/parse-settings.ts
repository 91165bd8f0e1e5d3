/**
 * Auth settings from raw input, defaults applied. Apart from the schemas
 * (settings.ts) because the base config schema embeds those, and the config
 * loader used here imports the base schema.
 */
import Value from 'typebox/value';
import { parseAgainstSchema } from '@flotilla/config';
import { AuthSettings } from './settings.ts';

/** Throws ConfigError listing every problem. */
export function parseAuthSettings(input: unknown, source = 'auth settings'): AuthSettings {
  return parseAgainstSchema('auth', source, AuthSettings, Value.Clone(input));
}
