/** The gateway in-process on a free port, configured from a YAML string in a temporary config folder. */
import { hashApiKey } from '@flotilla/http';
import { mkdtempSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CapturedLogs, captureLogs } from '@flotilla/testing';
import { gatewayService } from '../../../src/service.ts';

export interface GatewayUnderTest {
  url: string;
  logs: CapturedLogs;
  /** Replaces gateway.yaml the way deploy tools do: write a temp file, rename over. */
  writeConfig(yaml: string): void;
  stop(): Promise<void>;
}

export const NAMESPACE = 'test';

/** Listener settings every test config starts with. */
export const BASE_YAML = `http: { host: 127.0.0.1, port: 0 }
log: { level: info }
`;

/** The gateway's /admin endpoints need an admin credential: tests that read them put this key in their config. */
export const TEST_ADMIN_KEY = 'flk_test_admin_key_for_gateway_tests_only';
export const TEST_ADMIN_YAML = `auth:
  apiKeys:
    - { id: test-admin, hash: '${hashApiKey(TEST_ADMIN_KEY)}', roles: [admin] }
`;
export const ADMIN_HEADERS = { 'x-api-key': TEST_ADMIN_KEY };

export function writeAtomically(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export async function startGateway(yaml: string): Promise<GatewayUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-gateway-test-'));
  mkdirSync(join(dir, NAMESPACE));
  const file = join(dir, NAMESPACE, 'gateway.yaml');
  writeFileSync(file, BASE_YAML + yaml);
  const logs = captureLogs();
  // Config history and the local registry live in the temporary folder too.
  const running = await gatewayService.start({
    configDir: dir,
    namespace: NAMESPACE,
    env: { FLOTILLA_HOME: join(dir, 'home') },
    logDestination: logs.stream,
  });
  return {
    url: running.httpUrl as string,
    logs,
    writeConfig: (text) => writeAtomically(file, BASE_YAML + text),
    stop: async () => {
      await running.stop('test finished');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
