/** Building, validating and comparing Instance records. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Instance, InstanceHealth, InstancePorts, InstanceSpec, InstanceUpdate } from './types.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const DEFAULT_REGION = 'local';
export const DEFAULT_ZONE = 'local';
export const DEFAULT_WEIGHT = 100;

/** A registry entry or a spec that breaks the rules (bad name, port, weight). */
export class InvalidInstanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInstanceError';
  }
}

/** `<service>-<host>-<pid>-<random>`: unique per process, readable in `flotilla registry ls`. */
export function newInstanceId(service: string): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 40) || 'host';
  return `${service}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function checkName(what: string, value: string): void {
  if (!NAME.test(value)) throw new InvalidInstanceError(`${what} "${value}" must match ${NAME.source}`);
}

function checkPorts(ports: InstancePorts): InstancePorts {
  const out: InstancePorts = {};
  for (const protocol of ['http', 'grpc'] as const) {
    const port = ports[protocol];
    if (port === undefined) continue;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidInstanceError(`ports.${protocol} must be an integer in 1..65535, got ${String(port)}`);
    out[protocol] = port;
  }
  if (out.http === undefined && out.grpc === undefined)
    throw new InvalidInstanceError('an instance needs at least one port (http or grpc)');
  return out;
}

function checkWeight(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 1000)
    throw new InvalidInstanceError(`weight must be an integer in 0..1000, got ${String(weight)}`);
  return weight;
}

function checkHealth(health: string): InstanceHealth {
  if (health !== 'serving' && health !== 'not-serving')
    throw new InvalidInstanceError(`health must be "serving" or "not-serving", got "${health}"`);
  return health;
}

function checkMetadata(metadata: unknown): Record<string, string> {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw new InvalidInstanceError('metadata must be an object of strings');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new InvalidInstanceError(`metadata.${key} must be a string`);
    out[key] = value;
  }
  return out;
}

/** A complete Instance from a spec: defaults filled in, everything validated. */
export function instanceFromSpec(spec: InstanceSpec): Instance {
  checkName('service', spec.service);
  const id = spec.id ?? newInstanceId(spec.service);
  checkName('id', id);
  if (typeof spec.address !== 'string' || spec.address === '' || /[\s/]/.test(spec.address))
    throw new InvalidInstanceError(`address "${String(spec.address)}" must be a host name or IP`);
  const region = spec.region ?? DEFAULT_REGION;
  const zone = spec.zone ?? DEFAULT_ZONE;
  checkName('region', region);
  checkName('zone', zone);
  return {
    id,
    service: spec.service,
    address: spec.address,
    ports: checkPorts(spec.ports),
    version: spec.version ?? '0.0.0',
    region,
    zone,
    weight: checkWeight(spec.weight ?? DEFAULT_WEIGHT),
    health: checkHealth(spec.health ?? 'serving'),
    metadata: checkMetadata(spec.metadata ?? {}),
  };
}

export function applyUpdate(instance: Instance, update: InstanceUpdate): Instance {
  return {
    ...instance,
    ...(update.health === undefined ? {} : { health: checkHealth(update.health) }),
    ...(update.weight === undefined ? {} : { weight: checkWeight(update.weight) }),
    ...(update.metadata === undefined ? {} : { metadata: checkMetadata(update.metadata) }),
  };
}

/** Parses a stored entry; throws InvalidInstanceError for anything that is not a valid Instance. */
export function parseInstance(json: unknown): Instance {
  if (json === null || typeof json !== 'object') throw new InvalidInstanceError('an instance entry must be a JSON object');
  const value = json as Record<string, unknown>;
  const str = (key: string): string => {
    if (typeof value[key] !== 'string') throw new InvalidInstanceError(`${key} must be a string`);
    return value[key];
  };
  const ports = value.ports;
  if (ports === null || typeof ports !== 'object') throw new InvalidInstanceError('ports must be an object');
  return instanceFromSpec({
    id: str('id'),
    service: str('service'),
    address: str('address'),
    ports: ports as InstancePorts,
    version: str('version'),
    region: str('region'),
    zone: str('zone'),
    weight: value.weight as number,
    health: str('health') as InstanceHealth,
    metadata: value.metadata as Record<string, string>,
  });
}

/** Field-by-field equality (metadata compared by content). */
export function sameInstance(a: Instance, b: Instance): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(instance: Instance): unknown {
  const metadata = Object.fromEntries(Object.entries(instance.metadata).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return [
    instance.id,
    instance.service,
    instance.address,
    instance.ports.http,
    instance.ports.grpc,
    instance.version,
    instance.region,
    instance.zone,
    instance.weight,
    instance.health,
    metadata,
  ];
}

/** `host:port` of the instance for a protocol, or undefined when it does not serve it. IPv6 literals are bracketed. */
export function instanceTarget(instance: Instance, protocol: keyof InstancePorts): string | undefined {
  const port = instance.ports[protocol];
  if (port === undefined) return undefined;
  const host = instance.address.includes(':') ? `[${instance.address}]` : instance.address;
  return `${host}:${port}`;
}
