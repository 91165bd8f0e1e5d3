/** The $name$ rule, shared by REST and gRPC: no transport, no storage. */
import { ValidationError } from '@flotilla/kit';

export const NAME_MAX = 100;

/** A greeting for `name`, which is 1–NAME_MAX characters once trimmed. */
export function greet(name: string): string {
  const trimmed = name.trim();
  // Characters as JSON Schema counts them: code points, not UTF-16 units.
  const length = [...trimmed].length;
  if (length === 0 || length > NAME_MAX) {
    throw new ValidationError([{ field: 'name', rule: 'length', message: `must be 1–${NAME_MAX} characters after trimming` }]);
  }
  return `Hello, ${trimmed}!`;
}
