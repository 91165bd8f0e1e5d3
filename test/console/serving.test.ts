/**
 * How the gateway serves the console (`packages/gateway/src/console/`): the
 * built folder at /console/, index.html revalidated and hashed assets cached
 * for a year, a strict Content-Security-Policy on every answer, and a clear
 * 503 problem when there is no build, without stopping anything else.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { consoleStaticDir } from '@flotilla/console';
import { gatewayService } from '@flotilla/gateway';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs, tempDir, type TempDir } from '@flotilla/testing';
import { registerConsole } from '../../packages/gateway/src/console/plugin.ts';

async function serve(staticDir: string): Promise<{ app: HttpApp; url: string; logs: ReturnType<typeof captureLogs> }> {
  const logs = captureLogs();
  const logger = createLogger({ service: 'gateway', destination: logs.stream, pretty: false });
  const app = createHttpServer({ logger });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await registerConsole(app, { staticDir, logger });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, logs };
}

describe('the console, built', () => {
  let app: HttpApp;
  let url: string;
  before(async () => {
    ({ app, url } = await serve(consoleStaticDir()));
  });
  after(() => app.close());

  test('index.html at /console/: no-cache, CSP without inline script or framing, nosniff', async () => {
    const response = await fetch(`${url}/console/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const html = await response.text();
    assert.match(html, /<title>Flotilla console<\/title>/);
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  });

  test('/console redirects to /console/ (relative asset URLs need the slash)', async () => {
    const response = await fetch(`${url}/console`, { redirect: 'manual' });
    assert.equal(response.status, 308);
    assert.equal(response.headers.get('location'), '/console/');
  });

  test('hashed assets are cached for a year, immutable, with their media type', async () => {
    const html = await (await fetch(`${url}/console/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), assets.join(', '));
    for (const asset of assets) {
      assert.match(asset, /-[A-Za-z0-9_-]{8,}\.(js|css|svg)$/, `${asset} carries a content hash`);
      const response = await fetch(`${url}/console/${asset}`);
      assert.equal(response.status, 200, asset);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(response.headers.get('content-type') ?? '', /^(text\/javascript|text\/css|image\/svg\+xml)/);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      await response.arrayBuffer();
    }
  });

  test('anything else under /console/ is a 404 problem, never a file outside the build', async () => {
    for (const path of [
      '/console/nothing.js',
      '/console/assets/',
      '/console/.hidden.js',
      '/console/%2e%2e/package.json',
      '/console/assets/..%2f..%2fpackage.json',
    ]) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, path);
      await response.arrayBuffer();
    }
  });
});

describe('the console, not built', () => {
  let empty: TempDir;
  let app: HttpApp;
  let url: string;
  let logs: ReturnType<typeof captureLogs>;
  before(async () => {
    empty = tempDir('console-unbuilt');
    ({ app, url, logs } = await serve(empty.path));
  });
  after(async () => {
    await app.close();
    empty.remove();
  });

  test('answers 503 with a problem saying how to build it; the rest of the server runs on', async () => {
    for (const path of ['/console/', '/console/assets/index-abc.js']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 503, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await response.json()) as { type: string; detail: string; reason: string };
      assert.equal(problem.type, 'https://flotilla.dev/problems/unavailable');
      assert.equal(problem.reason, 'console-not-built');
      assert.match(problem.detail, /npm run build/);
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.ok(logs.withAction('console-not-built').length === 1, 'one warning at start');
  });
});

describe('the gateway', () => {
  const startGateway = async (yaml: string) => {
    const dir = tempDir('console-gateway');
    mkdirSync(join(dir.path, 'test'));
    writeFileSync(join(dir.path, 'test', 'gateway.yaml'), `http: { host: 127.0.0.1, port: 0 }\n${yaml}`);
    const logs = captureLogs();
    const running = await gatewayService.start({
      configDir: dir.path,
      namespace: 'test',
      env: { FLOTILLA_HOME: join(dir.path, 'home') },
      logDestination: logs.stream,
    });
    return {
      url: running.httpUrl as string,
      stop: async () => {
        await running.stop('test finished');
        dir.remove();
      },
    };
  };

  test('serves the console by default', async (t) => {
    const gateway = await startGateway('');
    t.after(() => gateway.stop());
    const response = await fetch(`${gateway.url}/console/`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /Flotilla console/);
  });

  test('console.enabled: false leaves /console/ unrouted', async (t) => {
    const gateway = await startGateway('console: { enabled: false }\n');
    t.after(() => gateway.stop());
    const response = await fetch(`${gateway.url}/console/`);
    assert.equal(response.status, 404);
    await response.arrayBuffer();
  });
});
