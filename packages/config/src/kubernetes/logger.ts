/** The kit's loggers (pino, or the `{ info, warn }` subset some parts get) as the logger @flotilla/kube takes. */
import { silentLogger, type KubeLogger } from '@flotilla/kube';

interface WarnInfo {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export function kubeLogger(logger: WarnInfo | undefined, bindings: Record<string, unknown> = {}): KubeLogger {
  if (logger === undefined) return silentLogger;
  return {
    info: (object, message) => logger.info({ ...bindings, ...object }, message ?? ''),
    warn: (object, message) => logger.warn({ ...bindings, ...object }, message ?? ''),
    child: (more) => kubeLogger(logger, { ...bindings, ...more }),
  };
}
