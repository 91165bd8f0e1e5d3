/** What every doctor check reports, and where it looks. */
import type { StoreOptions } from '../config/store-options.ts';

export interface CheckResult {
  /** Stable for scripts: `node`, `native-addon:better-sqlite3`, `home`, `port:8081`, `config-centre`, `config:dev/users`, `discovery`. */
  id: string;
  ok: boolean;
  /** One line: what was found. */
  summary: string;
  /** One line, when it failed: what to do about it. */
  fix?: string;
  /** A failed config document exits with the "invalid config" code, anything else with "unavailable". */
  kind?: 'config';
}

export interface DoctorContext {
  /** The repository checked (its package.json, node_modules, config/). */
  root: string;
  namespace: string;
  configDir: string;
  home: string;
  store: StoreOptions;
  registry: {
    backend: string;
    etcdEndpoints: string;
    etcdPrefix: string;
    kubeconfig?: string;
    kubeNamespace?: string;
  };
  /** How long one check may wait on a backend. */
  timeoutMs: number;
}

export type Check = (context: DoctorContext) => Promise<CheckResult[]>;

export const passed = (id: string, summary: string): CheckResult => ({ id, ok: true, summary });
export const failed = (id: string, summary: string, fix: string, kind?: 'config'): CheckResult => ({
  id,
  ok: false,
  summary,
  fix,
  ...(kind === undefined ? {} : { kind }),
});

/** The first line of an error's message, for a one-line summary. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
