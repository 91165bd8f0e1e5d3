/**
 * Patterns every free-text field shares, with the sentence a client reads when
 * one is not met (a regular expression is no message for a person).
 */
import { UUID_PATTERN } from './ids.ts';

// U+0000 is refused everywhere: PostgreSQL text cannot hold it.
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
// White space as String.prototype.trim sees it; U+FEFF named because some engines' \s lack it.
export const NON_BLANK_PATTERN = '^[^\\u0000]*[^\\s\\uFEFF\\u0000][^\\u0000]*$';

const MESSAGES: Record<string, string> = {
  [NO_NUL_PATTERN]: 'must not contain U+0000',
  [NON_BLANK_PATTERN]: 'must not be blank nor contain U+0000',
  [UUID_PATTERN]: 'must be a UUID (8-4-4-4-12 hexadecimal digits)',
};

/** What to tell a client whose value missed `pattern`, if the pattern is one of ours. */
export function patternMessage(pattern: string): string | undefined {
  return MESSAGES[pattern];
}
