// The logging the client needs. pino's Logger fits as it is, and so does anything else
// with these three methods, so this package does not depend on a logging library.

export interface KubeLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): KubeLogger;
}

/** Drops everything: for callers that report through the informer's hooks instead. */
export const silentLogger: KubeLogger = {
  info() {},
  warn() {},
  child: () => silentLogger,
};
