// When every Microservice of a batch has converged: status.observedGeneration ==
// metadata.generation, and its Deployment, Service, ConfigMap and PodDisruptionBudget exist.
//
// Two probes with the same criterion:
// - watch (default): informers on the five kinds, checked on every event, so the moment is
//   known to the event and the probe costs the API server one watch per kind; the answer is
//   then confirmed by one round of LISTs;
// - list: paginated LISTs of the five kinds every 0.5 s, as the first version of this bench
//   did; at 5000 Microservices each round lists 25 000 objects, which costs the API server
//   more CPU than the operator's own writes (see README.md).
import {
  Informer,
  type KubeClient,
  type KubeObject,
  type Microservice,
  MicroserviceResource,
  Resources,
  silentLogger,
} from '@flotilla/operator';

const SELECTOR = 'app.kubernetes.io/managed-by=flotilla-operator';
const OWNED = [
  { type: Resources.Service, suffix: '' },
  { type: Resources.Deployment, suffix: '' },
  { type: Resources.ConfigMap, suffix: '-config' },
  { type: Resources.PodDisruptionBudget, suffix: '' },
];

async function listAll<T extends KubeObject>(
  client: KubeClient,
  namespace: string,
  type: typeof Resources.Deployment,
  query: Record<string, string> = {},
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await client.list<T>(type, namespace, { ...query, limit: 500, continue: token });
    out.push(...page.items);
    token = page.metadata.continue || undefined;
  } while (token);
  return out;
}

/** How many of `names` have converged, by one round of paginated LISTs. */
export async function convergedByList(client: KubeClient, namespace: string, names: string[]): Promise<number> {
  const [microservices, ...owned] = await Promise.all([
    listAll<Microservice>(client, namespace, MicroserviceResource),
    ...OWNED.map(({ type }) => listAll(client, namespace, type, { labelSelector: SELECTOR })),
  ]);
  const sets = owned.map((items, i) => {
    const suffix = OWNED[i]!.suffix;
    return new Set(items.map((o) => o.metadata.name!.slice(0, o.metadata.name!.length - suffix.length)));
  });
  const observed = new Set(
    microservices.filter((m) => m.status?.observedGeneration === m.metadata.generation).map((m) => m.metadata.name!),
  );
  return names.filter((n) => observed.has(n) && sets.every((set) => set.has(n))).length;
}

export async function waitConvergedByList(
  client: KubeClient,
  namespace: string,
  names: string[],
  began: number,
  timeoutMs: number,
): Promise<number> {
  for (;;) {
    const done = await convergedByList(client, namespace, names);
    if (done === names.length) return (Date.now() - began) / 1000;
    if (Date.now() - began > timeoutMs) throw new Error(`only ${done}/${names.length} converged after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Informers on the five kinds; `waitFor(names)` resolves when all of them converged. */
export class ConvergenceWatch {
  private readonly microservices: Informer<KubeObject>;
  private readonly owned: { informer: Informer<KubeObject>; suffix: string }[];
  private readonly pending = new Set<string>();
  /** every name seen converged so far, for progress lines */
  private readonly done = new Set<string>();
  private readonly namespace: string;
  private wake: (() => void) | undefined;

  constructor(client: KubeClient, namespace: string) {
    this.namespace = namespace;
    this.microservices = new Informer(client, MicroserviceResource, silentLogger, { namespace });
    this.owned = OWNED.map(({ type, suffix }) => ({
      informer: new Informer(client, type, silentLogger, { namespace, labelSelector: SELECTOR }),
      suffix,
    }));
    const check = (name: string) => {
      if (this.done.has(name) || !this.converged(name)) return;
      this.done.add(name);
      if (!this.pending.delete(name)) return;
      if (this.pending.size === 0) this.wake?.();
    };
    this.microservices.addHandler({ onAdd: (o) => check(o.metadata.name!), onUpdate: (_o, o) => check(o.metadata.name!) });
    for (const { informer, suffix } of this.owned) {
      const nameOf = (o: KubeObject) => o.metadata.name!.slice(0, o.metadata.name!.length - suffix.length);
      informer.addHandler({ onAdd: (o) => check(nameOf(o)), onUpdate: (_o, o) => check(nameOf(o)) });
    }
  }

  async start(): Promise<void> {
    const all = [this.microservices, ...this.owned.map((o) => o.informer)];
    for (const informer of all) informer.start();
    await Promise.all(all.map((informer) => informer.waitForSync()));
  }

  private converged(name: string): boolean {
    const key = (suffix: string) => `${this.namespace}/${name}${suffix}`;
    const ms = this.microservices.cache.get(key('')) as Microservice | undefined;
    if (!ms || ms.status?.observedGeneration !== ms.metadata.generation) return false;
    return this.owned.every(({ informer, suffix }) => informer.cache.get(key(suffix)) !== undefined);
  }

  get convergedSoFar(): number {
    return this.done.size;
  }

  /** Resolves with the seconds from `began` until every name converged (by the watch). */
  async waitFor(names: string[], began: number, timeoutMs: number): Promise<number> {
    for (const name of names) this.pending.add(name);
    for (const name of names) if (this.converged(name)) this.pending.delete(name);
    if (this.pending.size > 0) {
      const timer = setTimeout(() => this.wake?.(), timeoutMs);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      clearTimeout(timer);
      this.wake = undefined;
      if (this.pending.size > 0)
        throw new Error(`only ${names.length - this.pending.size}/${names.length} converged after ${timeoutMs / 1000} s`);
    }
    return (Date.now() - began) / 1000;
  }

  async stop(): Promise<void> {
    await Promise.all([this.microservices, ...this.owned.map((o) => o.informer)].map((informer) => informer.stop()));
  }
}
