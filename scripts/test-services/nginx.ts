// nginx from Debian, install only: benchmarks start it as their peer.
import type { AptNeeds, TestServer } from './types.ts';
import { isExecutable } from './lib/paths.ts';
import { aptInstall } from './lib/apt.ts';

const APT_PACKAGE = 'nginx';
export const NGINX_BIN = '/usr/sbin/nginx';

function missingAptPackages(): string[] {
  return isExecutable(NGINX_BIN) ? [] : [APT_PACKAGE];
}

export const nginxServer: TestServer & AptNeeds = {
  name: 'nginx',
  missingAptPackages,
  async install(log) {
    await aptInstall(missingAptPackages(), log);
  },
  async start() {
    if (!isExecutable(NGINX_BIN)) throw new Error(`nginx: ${NGINX_BIN} not found; install ${APT_PACKAGE}`);
    return { env: { FLOTILLA_TEST_NGINX_BIN: NGINX_BIN }, stop: async () => {} };
  },
};
