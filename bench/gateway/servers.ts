/**
 * The processes of the gateway benchmarks: the tiny upstream, nginx (Debian)
 * and the gateway (compiled dist/main.js), each a child process that can be
 * pinned to a CPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from '../lib/children.ts';
import { freePort, waitFor200 } from '../lib/net.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Run from source by Node's type stripping (the same code on the hot path),
 * so the bench does not depend on every workspace's dist being built.
 */
export const GATEWAY_MAIN = join(REPO_ROOT, 'packages/gateway/src/main.ts');
const SOURCE_ARGS = ['--conditions=@flotilla/source'];
export const NGINX_BIN = process.env.FLOTILLA_TEST_NGINX_BIN ?? '/usr/sbin/nginx';
const UPSTREAM_MAIN = fileURLToPath(new URL('./upstream.mjs', import.meta.url));
const NAIVE_MAIN = fileURLToPath(new URL('./naive-proxy.mjs', import.meta.url));

export interface Running {
  child: Child;
  url: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_')));
}

async function ready(child: Child, url: string, path: string): Promise<Running> {
  try {
    await waitFor200(`${url}${path}`, { timeoutMs: 30_000, intervalMs: 20, hasExited: () => child.hasExited(), name: child.name });
    return { child, url };
  } catch (error) {
    await child.stop(1_000);
    throw error;
  }
}

export async function startUpstream(opts: { name: string; cpus: string | undefined; workDir: string; delayMs?: number }): Promise<Running> {
  const port = await freePort();
  const child = spawnChild({
    name: opts.name,
    command: process.execPath,
    args: [UPSTREAM_MAIN, String(port), String(opts.delayMs ?? 0)],
    cwd: opts.workDir,
    env: cleanEnv(),
    cpus: opts.cpus,
    outputFile: join(opts.workDir, `${opts.name}.log`),
  });
  return ready(child, `http://127.0.0.1:${port}`, '/readyz');
}

/**
 * nginx as the peer: one worker, no master (`master_process off`, so the
 * process we measure is the one doing the work), upstream keep-alive, and the
 * same forwarding headers the gateway adds.
 */
export async function startNginx(opts: {
  cpus: string | undefined;
  workDir: string;
  upstream: string;
  accessLog: boolean;
}): Promise<Running> {
  const port = await freePort();
  const dir = join(opts.workDir, 'nginx');
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  const upstream = new URL(opts.upstream);
  const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${opts.accessLog ? `${dir}/access.log` : 'off'};
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  upstream tiny {
    server ${upstream.host};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location /api/ {
      proxy_pass http://tiny/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Request-Id $request_id;
      proxy_set_header Forwarded "for=$remote_addr;host=\\"$http_host\\";proto=$scheme";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      add_header X-Request-Id $request_id;
    }
    location = /readyz {
      proxy_pass http://tiny/readyz;
    }
  }
}
`;
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const child = spawnChild({
    name: 'nginx',
    command: NGINX_BIN,
    args: ['-p', dir, '-e', join(dir, 'error.log'), '-c', confFile],
    cwd: dir,
    env: cleanEnv(),
    cpus: opts.cpus,
    outputFile: join(dir, 'stdout.log'),
  });
  return ready(child, `http://127.0.0.1:${port}`, '/readyz');
}

/** The gateway with one route, `/api/**` → the upstream with `/api` stripped. */
export interface GatewayOptions {
  cpus: string | undefined;
  workDir: string;
  upstreams: Record<string, string>;
  accessLog: boolean;
  /** Names the config dir and log file, so several gateways can share a work dir. Default `gateway`. */
  name?: string;
  /** More keys of the `api` route, e.g. `auth: { roles: [user] }`. */
  routeYaml?: string;
  /** Top-level config sections (auth, rateLimit, resilience, shedding…). */
  extraYaml?: string;
  nodeArgs?: string[];
  /** A built gateway (e.g. from bundleGateway()) run by plain node; default: src/main.ts, types stripped by Node. */
  main?: string;
}

export async function startGateway(opts: GatewayOptions): Promise<Running> {
  const port = await freePort();
  const name = opts.name ?? 'gateway';
  const configDir = join(opts.workDir, `${name}-config`);
  mkdirSync(join(configDir, 'bench'), { recursive: true });
  const upstreams = Object.entries(opts.upstreams)
    .map(([upstream, url]) => `  ${upstream}: { instances: ['${url}'] }`)
    .join('\n');
  const first = Object.keys(opts.upstreams)[0];
  writeFileSync(
    join(configDir, 'bench', 'gateway.yaml'),
    `http: { host: 127.0.0.1, port: ${port} }
log: { level: info }
proxy: { accessLog: ${opts.accessLog} }
upstreams:
${upstreams}
routes:
  - { name: api, path: /api/**, upstream: ${first}, stripPrefix: /api${opts.routeYaml === undefined ? '' : `, ${opts.routeYaml}`} }
${opts.extraYaml ?? ''}
`,
  );
  const child = spawnChild({
    name,
    command: process.execPath,
    args: opts.main === undefined ? [...SOURCE_ARGS, ...(opts.nodeArgs ?? []), GATEWAY_MAIN] : [...(opts.nodeArgs ?? []), opts.main],
    cwd: opts.workDir,
    env: { ...cleanEnv(), NODE_ENV: 'production', FLOTILLA_CONFIG_DIR: configDir, FLOTILLA_ENV: 'bench', FLOTILLA_CONFIG_RELOAD: 'off' },
    cpus: opts.cpus,
    outputFile: join(opts.workDir, `${name}.log`),
  });
  return ready(child, `http://127.0.0.1:${port}`, '/readyz');
}

/** The naive undici proxy (reference row): `/api/**` → the upstream, `/api` stripped. */
export async function startNaiveProxy(opts: { cpus: string | undefined; workDir: string; upstream: string }): Promise<Running> {
  const port = await freePort();
  const child = spawnChild({
    name: 'naive proxy',
    command: process.execPath,
    args: [NAIVE_MAIN, String(port), opts.upstream],
    cwd: opts.workDir,
    env: cleanEnv(),
    cpus: opts.cpus,
    outputFile: join(opts.workDir, 'naive.log'),
  });
  return ready(child, `http://127.0.0.1:${port}`, '/api/readyz');
}
