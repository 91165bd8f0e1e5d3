/**
 * Node cannot put `node:http`, `node:https`, `node:http2` or `node:tls` in a
 * start-up snapshot (their native bindings abort the build with
 * "CheckGlobalAndEternalHandles failed"), yet most of the bundle requires them
 * when it loads: Fastify, grpc-js, undici. Nor `node:cluster`: loaded in the
 * build it is the primary's half, and a forked worker restored from the
 * snapshot fails (`cluster._setupWorker is not a function`). In a snapshot
 * build, `require` of these five hands out a stand-in that loads the module on
 * first use, after the snapshot is restored. The few plain values packages read from them while
 * loading (status codes, method names, HTTP/2 constants, TLS defaults) are
 * taken from this very Node when the bundle is built (the executable is a copy
 * of it) and served by the stand-in until the module is loaded.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';

/** Built-in name → the plain values its stand-in serves before the module is loaded. */
function loadTimeValues(): Record<string, Record<string, unknown>> {
  return {
    http: { STATUS_CODES: http.STATUS_CODES, METHODS: http.METHODS, maxHeaderSize: http.maxHeaderSize },
    https: {},
    // Not a binding this time: node:cluster picks its primary or worker half when it loads, so it must load in the running process.
    cluster: {},
    http2: { constants: http2.constants },
    tls: {
      DEFAULT_CIPHERS: tls.DEFAULT_CIPHERS,
      DEFAULT_ECDH_CURVE: tls.DEFAULT_ECDH_CURVE,
      DEFAULT_MIN_VERSION: tls.DEFAULT_MIN_VERSION,
      DEFAULT_MAX_VERSION: tls.DEFAULT_MAX_VERSION,
    },
  };
}

/**
 * Runs inside the executable, as its first statement (its source is the
 * banner): wraps the main script's `require`. Using any other member of a
 * stand-in while the snapshot is built fails the build with the culprit's
 * stack, instead of V8's bare abort.
 */
function lazyBuiltinRequire(load: NodeJS.Require, values: Record<string, Record<string, unknown>>): NodeJS.Require {
  const { isBuildingSnapshot } = load('node:v8').startupSnapshot as { isBuildingSnapshot(): boolean };
  const loaded = new Map<string, Record<string | symbol, unknown>>();
  const real = (name: string): Record<string | symbol, unknown> => {
    let module = loaded.get(name);
    if (module === undefined) {
      if (isBuildingSnapshot()) throw new Error(`node:${name} cannot be in a start-up snapshot, and a module used it while loading`);
      module = load(`node:${name}`) as Record<string | symbol, unknown>;
      loaded.set(name, module);
    }
    return module;
  };
  const standIns = new Map<string, object>();
  const standIn = (name: string): object => {
    const early = values[name] ?? {};
    return new Proxy(
      {},
      {
        get: (_, key) => (!loaded.has(name) && typeof key === 'string' && Object.hasOwn(early, key) ? early[key] : real(name)[key]),
        has: (_, key) => key in real(name),
        ownKeys: () => Reflect.ownKeys(real(name)),
        getOwnPropertyDescriptor: (_, key) => {
          const descriptor = Reflect.getOwnPropertyDescriptor(real(name), key);
          // The stand-in's own target has no such property: a proxy may only report it as configurable.
          return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
        },
        set: (_, key, value) => Reflect.set(real(name), key, value),
      },
    );
  };
  const wrapped = (id: string): unknown => {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    if (!Object.hasOwn(values, name)) return load(id);
    let module = standIns.get(name);
    if (module === undefined) {
      module = standIn(name);
      standIns.set(name, module);
    }
    return module;
  };
  return Object.assign(wrapped, load) as NodeJS.Require;
}

/** The main script's first statement in a snapshot build: `require` replaced by the wrapped one. */
export function lazyBuiltinsBanner(): string {
  return `var require = (${lazyBuiltinRequire.toString()})(require, ${JSON.stringify(loadTimeValues())});`;
}
