/**
 * The gateway in-process over a config centre of its own (a temporary folder,
 * or a random etcd prefix from the harness), with the test admin key, plus the
 * test's own client on the same centre to look behind the admin API.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigStore, openConfigStore } from '@flotilla/config';
import { type Backend, type CapturedLogs, captureLogs, centreFlags } from '@flotilla/testing';
import { gatewayService } from '../../../src/service.ts';
import { BASE_YAML, TEST_ADMIN_KEY, TEST_ADMIN_YAML } from '../support/gateway.ts';

export { TEST_ADMIN_KEY };
export const ADMIN_KEY_HEADERS = { 'x-api-key': TEST_ADMIN_KEY };

export interface AdminGateway {
  url: string;
  namespace: string;
  logs: CapturedLogs;
  /** The same centre as the gateway's, through a client of the test's own. */
  store: ConfigStore;
  /** The config folder (the file backend's working copies; the base layer under etcd). */
  configDir: string;
  /** The text the gateway's document was started with. */
  gatewayText: string;
  stop(): Promise<void>;
}

export interface AdminGatewayOptions {
  backend?: Backend;
  namespace?: string;
  /** More gateway config, after the listener and the admin key. */
  yaml?: string;
  env?: Record<string, string>;
  /** State folder (registry, config history); default inside the centre's temporary folder. */
  home?: string;
}

export async function startAdminGateway(options: AdminGatewayOptions = {}): Promise<AdminGateway> {
  const backend = options.backend ?? 'file';
  const namespace = options.namespace ?? 'test';
  const centre = centreFlags(backend);
  await centre.ready;
  const configDir = centre.env.FLOTILLA_CONFIG_DIR as string;
  const env = { ...centre.env, ...(options.home === undefined ? {} : { FLOTILLA_HOME: options.home }), ...options.env };
  mkdirSync(join(configDir, namespace), { recursive: true });
  const gatewayText = `${BASE_YAML}${TEST_ADMIN_YAML}${options.yaml ?? ''}`;
  writeFileSync(join(configDir, namespace, 'gateway.yaml'), gatewayText);
  const store = await openConfigStore({ env, configDir });
  // Under etcd the files are only the base layer: the gateway publishes its schema where the centre holds its document.
  if (backend !== 'file') await store.set(namespace, 'gateway', gatewayText, { expectedVersion: 0, author: 'test', message: 'seed' });
  const logs = captureLogs();
  let running: Awaited<ReturnType<typeof gatewayService.start>>;
  try {
    running = await gatewayService.start({ configDir, namespace, env, logDestination: logs.stream });
  } catch (error) {
    await store.close();
    await centre.cleanup();
    rmSync(centre.dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: running.httpUrl as string,
    namespace,
    logs,
    store,
    configDir,
    gatewayText,
    stop: async () => {
      try {
        await running.stop('test finished');
      } finally {
        await store.close();
        await centre.cleanup();
        rmSync(centre.dir, { recursive: true, force: true });
      }
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** One JSON request; the body is parsed (problem documents included), `{}` when there is none. */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}
