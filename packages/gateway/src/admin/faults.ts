/**
 * The configured faults (`resilience.defaults.fault` and
 * `resilience.upstreams.<name>.fault`: a delay, an abort, or both), where they
 * are set, and clearing one there. Faults are switched on the way every
 * setting is, in a document of the config centre (`flotilla config set
 * --service gateway`, or orders' document for its calls to users), so the
 * list is read from the namespace's documents: every service's faults, each
 * with the document and version that set it. Clearing writes a new version
 * of that document without it (compare-and-set, comments kept, the author
 * recorded), so the services apply it like any change and it stays cleared
 * after a reload or a restart. A fault the gateway applies that no document
 * holds came from its environment or base files; it is listed but cannot be
 * cleared from here.
 */
import { ConfigConflictError, type ConfigStore, parseConfigText, renderConfigText } from '@flotilla/config';
import { ConflictError, NotFoundError } from '@flotilla/kit';
import type { FaultPermission, ResilienceSettings } from '@flotilla/resilience';
import type { FaultAnswer, FaultsAnswer } from './live-view-schemas.ts';

const SHARED_DOCUMENT = 'shared';
const DEFAULTS = '*';
const WRITE_ATTEMPTS = 3;

type Data = Record<string, unknown>;

export interface FaultsOptions {
  store: ConfigStore;
  namespace: string;
  /** The gateway's `resilience` section in force now. */
  gatewayResilience(): ResilienceSettings;
  /** Whether this gateway honours the fault header, and why. */
  permission(): FaultPermission;
}

interface Located {
  fault: FaultAnswer;
  /** The key path to remove: ['resilience', 'upstreams', name, 'fault', kind]. */
  keys: string[];
}

export class Faults {
  readonly #options: FaultsOptions;

  constructor(options: FaultsOptions) {
    this.#options = options;
  }

  async list(): Promise<FaultsAnswer> {
    const permission = this.#options.permission();
    return {
      faults: (await this.#locate()).map((located) => located.fault),
      header: { enabled: permission.header, reason: permission.reason },
    };
  }

  /** Removes the fault from the document that sets it; NotFoundError, or ConflictError when it is not set in the centre. */
  async clear(id: string, author: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const located = (await this.#locate()).find((candidate) => candidate.fault.id === id);
      if (located === undefined) throw new NotFoundError(`No fault ${id} is configured`);
      const { fault, keys } = located;
      if (!fault.clearable || fault.document === null)
        throw new ConflictError(
          `Fault ${id} is not set in the config centre (the gateway's environment or base files set it); remove it there`,
          { reason: 'outside-centre', path: fault.path },
        );
      const store = this.#options.store;
      const head = await store.get(this.#options.namespace, fault.document);
      const data = parseConfigText(head.text, `${this.#options.namespace}/${fault.document}`);
      removeIn(data, keys);
      try {
        await store.set(this.#options.namespace, fault.document, renderConfigText(data, head.text), {
          expectedVersion: head.version,
          author,
          message: `fault ${id} cleared from the admin API`,
        });
        return;
      } catch (error) {
        // Someone else wrote in between: read again and retry on the new version.
        if (!(error instanceof ConfigConflictError) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async #locate(): Promise<Located[]> {
    const { store, namespace } = this.#options;
    const documents = await store.list(namespace);
    const found: Located[] = [];
    const gatewayKeys = new Set<string>();
    for (const document of documents) {
      const current = await store.current(namespace, document);
      if (current === undefined) continue;
      let data: Data;
      try {
        data = parseConfigText(current.text, `${namespace}/${document}`);
      } catch {
        continue; // a broken working copy sets nothing
      }
      // The shared document's faults apply to every service that reads it; they are named after it.
      for (const rule of faultRules(resilienceOf(data))) {
        const fault = answer(document, rule, {
          source: 'config-centre',
          namespace,
          document,
          version: current.version ?? null,
          clearable: true,
        });
        if (document === 'gateway' || document === SHARED_DOCUMENT) gatewayKeys.add(rule.path);
        found.push({ fault, keys: rule.keys });
      }
    }
    // What the gateway applies that no document sets.
    for (const rule of faultRules(this.#options.gatewayResilience() as Data)) {
      if (gatewayKeys.has(rule.path)) continue;
      found.push({
        fault: answer('gateway', rule, { source: 'outside-centre', namespace, document: null, version: null, clearable: false }),
        keys: rule.keys,
      });
    }
    return found;
  }
}

interface FaultRule {
  upstream: string;
  kind: 'delay' | 'abort';
  settings: Data;
  path: string;
  keys: string[];
}

function resilienceOf(data: Data): Data | undefined {
  const resilience = data.resilience;
  return isData(resilience) ? resilience : undefined;
}

function faultRules(resilience: Data | undefined): FaultRule[] {
  if (resilience === undefined) return [];
  const rules: FaultRule[] = [];
  const collect = (upstream: string, keys: string[], policy: unknown): void => {
    const fault = isData(policy) ? policy.fault : undefined;
    if (!isData(fault)) return;
    for (const kind of ['delay', 'abort'] as const) {
      const settings = fault[kind];
      if (!isData(settings)) continue;
      const path = [...keys, 'fault', kind];
      rules.push({ upstream, kind, settings, path: path.join('.'), keys: path });
    }
  };
  collect(DEFAULTS, ['resilience', 'defaults'], resilience.defaults);
  const upstreams = resilience.upstreams;
  if (isData(upstreams)) for (const [name, policy] of Object.entries(upstreams)) collect(name, ['resilience', 'upstreams', name], policy);
  return rules;
}

function answer(
  document: string,
  rule: FaultRule,
  where: Pick<FaultAnswer, 'source' | 'namespace' | 'document' | 'version' | 'clearable'>,
): FaultAnswer {
  const { settings } = rule;
  const number = (key: string): number | undefined => {
    // A value may still be a `${VAR}` reference in the document: shown only when it is a number.
    const value = typeof settings[key] === 'string' ? Number(settings[key]) : settings[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const delayMs = number('ms');
  const status = number('status');
  const grpcCode = number('grpcCode');
  return {
    id: `${document}:${rule.upstream}:${rule.kind}`,
    service: document,
    upstream: rule.upstream,
    kind: rule.kind,
    percent: number('percent') ?? 0,
    ...(rule.kind === 'delay' && delayMs !== undefined ? { delayMs } : {}),
    ...(rule.kind === 'abort' && status !== undefined ? { status } : {}),
    ...(rule.kind === 'abort' && grpcCode !== undefined ? { grpcCode } : {}),
    path: rule.path,
    ...where,
  };
}

/** Deletes the key at `keys`, then every map it leaves empty (up to `resilience`, which stays). */
function removeIn(data: Data, keys: string[]): void {
  const parents: Data[] = [data];
  for (const key of keys.slice(0, -1)) {
    const next = (parents[parents.length - 1] as Data)[key];
    if (!isData(next)) return;
    parents.push(next);
  }
  delete (parents[parents.length - 1] as Data)[keys[keys.length - 1] as string];
  for (let depth = parents.length - 1; depth > 1; depth--) {
    const map = parents[depth] as Data;
    if (Object.keys(map).length > 0) break;
    delete (parents[depth - 1] as Data)[keys[depth - 1] as string];
  }
}

function isData(value: unknown): value is Data {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
