/**
 * Talking to the deployed system from the host: the gateway Pods' addresses (the host
 * routes the node's Pod network, as a flat-network cluster's edge would), JSON calls,
 * gRPC health, and how many application requests one Pod has served (its /metrics).
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { request } from 'undici';
import { readyPods, type NodeCluster, type Pod } from './cluster.ts';
import { NAMESPACE, ROOT } from './system.ts';

export async function gatewayUrls(cluster: NodeCluster): Promise<string[]> {
  return (await readyPods(cluster, NAMESPACE, 'gateway')).map((pod) => `http://${pod.status!.podIP}:8080`);
}

export async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown; text: string }> {
  const response = await request(url, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.statusCode, body: parsed, text };
}

const healthDefinition = loadSync('grpc/health/v1/health.proto', { includeDirs: [join(ROOT, 'proto')], enums: String });
const healthPackage = grpc.loadPackageDefinition(healthDefinition) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

/** grpc.health.v1.Health/Check against `address` for `service` ('' = the server as a whole). */
export async function grpcHealth(address: string, service: string): Promise<string> {
  const client = new healthPackage.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) => {
      (client.Check as (r: object, o: object, cb: (e: Error | null, v: { status: string }) => void) => void).call(
        client,
        { service },
        { deadline: Date.now() + 5_000 },
        (error, value) => (error ? reject(error) : resolve(value.status)),
      );
    });
  } finally {
    client.close();
  }
}

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Requests a Pod has answered on application routes (not probes or scrapes), from its own metrics. */
export async function servedRequests(pod: Pod, port: number): Promise<number> {
  const { text } = await call('GET', `http://${pod.status!.podIP}:${port}/metrics`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_server_request_duration_seconds_count{')) continue;
    const route = /http_route="([^"]*)"/.exec(line)?.[1];
    if (route !== undefined && PROBES.has(route)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
