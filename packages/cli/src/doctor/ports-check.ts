/**
 * The ports the namespace's services listen on, read as each service reads
 * them (config/<ns>/shared.yaml < <service>.yaml < FLOTILLA_<SERVICE>__…
 * variables, the kit's defaults for what is unset), each bound for a moment on
 * its host to see that it is free; a taken one is named with the process
 * holding it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GrpcConfig, HttpConfig, loadConfig, parseAgainstSchema, SHARED_DOCUMENT } from '@flotilla/kit';
import { type Check, type CheckResult, failed, passed } from './check.ts';
import { findPortHolder } from '../dev/port-holder.ts';

interface Listener {
  service: string;
  key: 'http' | 'grpc';
  host: string;
  port: number;
}

type Schema = Parameters<typeof loadConfig>[0]['schema'];
/** Any document: the config check validates whole documents; here only the listeners are read, as the services read them. */
const ANY_DOCUMENT = { type: 'object' } as unknown as Schema;

export const portsFree: Check = async ({ configDir, namespace }) => {
  const listeners = configuredListeners(configDir, namespace);
  if (listeners.length === 0) return [passed('ports', `no fixed ports in ${join(configDir, namespace)}`)];
  return Promise.all(listeners.map((listener) => probe(listener, namespace)));
};

async function probe(listener: Listener, namespace: string): Promise<CheckResult> {
  const { service, key, host, port } = listener;
  const what = `port ${port} (${service} ${key}, ${host})`;
  const id = `port:${port}`;
  const error = await tryListen(host, port);
  if (error === undefined) return passed(id, `${what} is free`);
  if (error.code === 'EADDRINUSE') {
    const holder = await findPortHolder(port);
    const holders = holder === undefined ? [] : [holder];
    const who = holders.length === 0 ? 'a process this user cannot see' : holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ');
    const stop =
      holders.length === 0
        ? 'stop the process listening there'
        : `stop ${holders.map((h) => `pid ${h.pid}`).join(', ')} (kill ${holders.map((h) => h.pid).join(' ')})`;
    return failed(id, `${what} is taken by ${who}`, `${stop}, or move ${service} with ${key}.port in config/${namespace}/${service}.yaml`);
  }
  return failed(
    id,
    `${what} cannot be bound: ${error.code ?? error.message}`,
    `check that ${host} is an address of this machine, or change ${key}.host/${key}.port of ${service}`,
  );
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function configuredListeners(configDir: string, namespace: string): Listener[] {
  const dir = join(configDir, namespace);
  if (!existsSync(dir)) return [];
  const listeners: Listener[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.yaml') || file === `${SHARED_DOCUMENT}.yaml`) continue;
    const service = file.slice(0, -'.yaml'.length);
    let document: Record<string, unknown>;
    try {
      document = loadConfig({ service, schema: ANY_DOCUMENT, namespace, dir: configDir, env: process.env }).value as Record<
        string,
        unknown
      >;
    } catch {
      continue; // the config check reports the document
    }
    for (const [key, schema] of [
      ['http', HttpConfig],
      ['grpc', GrpcConfig],
    ] as const) {
      if (key === 'grpc' && document.grpc === undefined) continue; // no gRPC listener
      try {
        const { host, port } = parseAgainstSchema(service, file, schema, document[key] ?? {});
        if (port !== 0) listeners.push({ service, key, host, port });
      } catch {
        // the config check reports the section
      }
    }
  }
  return listeners;
}
