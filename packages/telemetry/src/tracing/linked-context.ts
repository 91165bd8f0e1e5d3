/**
 * An OpenTelemetry `Context` as a chain of (key, value) links: `setValue`
 * makes one small object pointing at its parent, where the API's own
 * context copies a Map and makes three closures every time. A request's
 * context is set a handful of times (the extracted parent, the server span,
 * the service scope, a client span) and read a few times, so the chain stays
 * short. Contexts derived from `LINKED_ROOT` stay linked: the propagators and
 * `trace.setSpan` only call `setValue`.
 */
import type { Context } from '@opentelemetry/api';

class LinkedContext implements Context {
  private readonly parent: LinkedContext | undefined;
  private readonly key: symbol | undefined;
  private readonly value: unknown;

  constructor(parent: LinkedContext | undefined, key: symbol | undefined, value: unknown) {
    this.parent = parent;
    this.key = key;
    this.value = value;
  }

  getValue(key: symbol): unknown {
    for (let at: LinkedContext | undefined = this; at !== undefined; at = at.parent) {
      if (at.key === key) return at.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  /** A deleted key reads as undefined, as in the API's context. */
  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined);
  }
}

/** An empty context whose descendants are all linked; use it where `ROOT_CONTEXT` would start a request's context. */
export const LINKED_ROOT: Context = new LinkedContext(undefined, undefined, undefined);
