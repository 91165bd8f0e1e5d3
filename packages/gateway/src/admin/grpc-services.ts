/**
 * `GET /admin/grpc-services`: what each registered gRPC listener serves, by
 * server reflection, asked of every instance with a gRPC port in parallel.
 * An instance that does not answer is listed with the reason.
 */
import { listReflectedServices } from '@flotilla/grpc';
import type { KnownInstance } from './known-instances.ts';
import type { GrpcServicesAnswer } from './live-view-schemas.ts';

const REFLECTION_TIMEOUT_MS = 2_000;

export async function grpcServices(instances: readonly KnownInstance[]): Promise<GrpcServicesAnswer> {
  const listeners = instances.filter((instance) => instance.ports.grpc !== undefined);
  const services = await Promise.all(
    listeners.map(async (instance) => {
      const host = instance.host.includes(':') ? `[${instance.host}]` : instance.host;
      const address = `${host}:${instance.ports.grpc}`;
      const entry = { service: instance.service, instance: instance.id, address };
      try {
        return { ...entry, grpcServices: await listReflectedServices(address, REFLECTION_TIMEOUT_MS) };
      } catch (error) {
        return { ...entry, grpcServices: [], error: (error as Error).message };
      }
    }),
  );
  return { services };
}
