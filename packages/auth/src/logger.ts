/** The slice of a pino logger auth writes to (so tests and tools can pass anything alike). */
export interface AuthLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}
