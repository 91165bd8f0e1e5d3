// Builds the five OCI images twice and checks they are byte-identical, within
// the size target, share their lower layers, hold what they should (and no
// build-host paths), are readable by skopeo, and really run: users and greeter
// under runc as uid 65532 on a read-only root with a tmpfs state volume,
// answering /readyz, then stopping with exit 0 on SIGTERM to their PID 1.
// Needs root and umoci/runc/skopeo; see support/requirements.ts for when it skips.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { eventually, freePort } from '@flotilla/testing';
import { buildContext, REPO_ROOT, type BuildContext } from '../context.ts';
import { IMAGES, LAYOUT } from '../images.ts';
import { ensureBundles } from './support/bundles.ts';
import { listLayer, readBuild, type BuildResult } from './support/layers.ts';
import { ensureRequirements } from './support/requirements.ts';
import { startContainer, type Container } from './support/runc.ts';

const run = promisify(execFile);
const MAX_COMPRESSED = 45 * 1024 * 1024;

/** `pinned`: both builds get the same timestamp and revision even if a commit lands between them. */
function build(out: string, pinned: BuildContext): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SOURCE_DATE_EPOCH: String(pinned.epoch), FLOTILLA_IMAGE_REVISION: pinned.revision };
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'images', 'build.ts'), '--out', out, '--quiet'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(readBuild(out)) : reject(new Error(`build.ts --out ${out} exited with ${code}:\n${output}`)),
    );
  });
}

/** The JSON of `url` once it answers 200; fails with the container's output (and whether it exited) after `timeoutMs`. */
async function waitReady(url: string, container: Container, timeoutMs = 30_000): Promise<unknown> {
  let exited: number | undefined;
  void container.exited.then((code) => (exited = code));
  return await eventually(
    async () => {
      if (exited !== undefined) throw new Error(`container exited with ${exited} before ${url} answered`);
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return response.status === 200 && ((await response.json()) as unknown);
    },
    { timeoutMs, intervalMs: 250, message: `${url} to answer 200` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${container.output()}`);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Starts a service image, checks the container the way production would run it, then stops it with SIGTERM. */
async function runService(
  t: TestContext,
  build: BuildResult,
  scratch: string,
  name: 'users' | 'greeter',
  exercise: (base: string) => Promise<void>,
): Promise<void> {
  const summary = build.images.find((s) => s.image.startsWith(`flotilla/${name}:`))!;
  const http = await freePort();
  const grpc = await freePort();
  const prefix = `FLOTILLA_${name.toUpperCase()}__`;
  const env: Record<string, string> = {
    [`${prefix}HTTP__HOST`]: '127.0.0.1',
    [`${prefix}HTTP__PORT`]: String(http),
    [`${prefix}GRPC__HOST`]: '127.0.0.1',
    [`${prefix}GRPC__PORT`]: String(grpc),
  };
  if (name === 'users') env[`${prefix}DATABASE__DSN`] = `sqlite:${LAYOUT.home}/users.sqlite`;
  const container = await startContainer({ layout: join(REPO_ROOT, summary.layout), tag: build.version, workDir: scratch, name, env });
  t.after(() => container.destroy());
  try {
    const base = `http://127.0.0.1:${http}`;
    const ready = (await waitReady(`${base}/readyz`, container)) as { status: string };
    assert.equal(ready.status, 'ready');

    // PID 1 is node itself, running as 65532, on a read-only root with a writable state volume.
    const status = readFileSync(`/proc/${await container.pid()}/status`, 'utf8');
    assert.match(status, /^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    assert.match(readFileSync(`/proc/${await container.pid()}/cmdline`, 'utf8'), new RegExp(`^${LAYOUT.node}\0`));
    assert.match(container.output(), /"process\.pid":1,/);
    const probe = `const fs = require('node:fs'); const out = {};
      for (const path of ['/app/probe', '/etc/probe', '/tmp/probe', '${LAYOUT.home}/probe']) { try { fs.writeFileSync(path, 'x'); out[path] = 'ok'; } catch (e) { out[path] = e.code; } }
      out.id = process.getuid() + ':' + process.getgid(); out.home = fs.readdirSync('${LAYOUT.home}').sort(); console.log(JSON.stringify(out));`;
    const { stdout } = await container.exec([LAYOUT.node, '-e', probe]);
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(seen['/app/probe'], 'EROFS');
    assert.equal(seen['/etc/probe'], 'EROFS');
    assert.equal(seen['/tmp/probe'], 'EROFS');
    assert.equal(seen[`${LAYOUT.home}/probe`], 'ok');
    assert.equal(seen.id, '65532:65532');
    if (name === 'users')
      assert.ok((seen.home as string[]).includes('users.sqlite'), `no users.sqlite in ${LAYOUT.home}: ${JSON.stringify(seen.home)}`);

    await exercise(base);

    await container.kill('TERM');
    const code = await withTimeout(container.exited, 30_000, `${name} after SIGTERM`);
    assert.equal(code, 0, `exit code after SIGTERM:\n${container.output()}`);
    assert.match(container.output(), /received SIGTERM/);
    assert.match(container.output(), new RegExp(`"message":"${name} stopped"`));
  } finally {
    await container.destroy();
  }
}

test('container images: reproducible, small, shared lower layers, and they run under runc', { timeout: 15 * 60_000 }, async (t) => {
  if (!(await ensureRequirements(t))) return;
  t.diagnostic(ensureBundles(REPO_ROOT));
  const scratch = mkdtempSync(join(tmpdir(), 'flotilla-images-test-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));

  const pinned = buildContext();
  const first = await build(join(scratch, 'first'), pinned);
  const second = await build(join(scratch, 'second'), pinned);

  await t.test('the same commit gives the same digests, twice', async () => {
    assert.deepEqual(
      second.images.map((s) => [s.image, s.digest, s.layers.map((l) => l.digest)]),
      first.images.map((s) => [s.image, s.digest, s.layers.map((l) => l.digest)]),
    );
    for (const image of IMAGES) {
      const a = readFileSync(join(first.out, `${image.short}.tar`));
      const b = readFileSync(join(second.out, `${image.short}.tar`));
      assert.ok(a.equals(b), `${image.short}.tar differs between two builds`);
    }
    assert.deepEqual(first.images.map((s) => s.image).sort(), IMAGES.map((i) => `${i.name}:${first.version}`).sort());
  });

  await t.test('each image is at most 45 MiB compressed', () => {
    for (const s of first.images) {
      t.diagnostic(
        `${s.image}: ${(s.compressed / 1048576).toFixed(2)} MiB compressed, ${(s.uncompressed / 1048576).toFixed(1)} MiB uncompressed`,
      );
      assert.ok(s.compressed <= MAX_COMPRESSED, `${s.image} is ${(s.compressed / 1048576).toFixed(2)} MiB compressed`);
    }
  });

  await t.test('all five share the runtime and node_modules layers; each has its own top layer', () => {
    const [runtime, modules] = [0, 1].map((i) => new Set(first.images.map((s) => s.layers[i]!.digest)));
    assert.equal(runtime!.size, 1);
    assert.equal(modules!.size, 1);
    assert.equal(new Set(first.images.map((s) => s.layers[2]!.digest)).size, IMAGES.length);
    assert.ok(first.images.every((s) => s.layers.length === 3));
  });

  await t.test('layers: fixed owners and times, only runtime files, no build-host paths', async () => {
    const users = first.images.find((s) => s.image.startsWith('flotilla/users:'))!;
    const layout = join(REPO_ROOT, users.layout);
    const time = new Date(first.sourceDateEpoch * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '');
    const [runtime, modules, app] = await Promise.all(users.layers.map((l) => listLayer(layout, l.digest)));
    for (const entry of [...runtime!, ...modules!, ...app!]) {
      assert.equal(entry.time, time, `${entry.path} mtime`);
      assert.ok(
        entry.owner === '0/0' || (entry.owner === '65532/65532' && entry.path === 'var/lib/flotilla/'),
        `${entry.path} owned by ${entry.owner}`,
      );
    }
    const paths = (list: { path: string }[]) => list.map((e) => e.path);
    for (const path of [
      'usr/local/bin/node',
      'lib64/ld-linux-x86-64.so.2',
      'etc/ssl/certs/ca-certificates.crt',
      'etc/passwd',
      'etc/group',
      'var/lib/flotilla/',
      'tmp/',
    ]) {
      if (path.startsWith('lib64/') && process.arch !== 'x64') continue;
      assert.ok(paths(runtime!).includes(path), `runtime layer lacks ${path}`);
    }
    assert.ok(
      paths(runtime!).every((p) => !/^(bin|sbin|usr\/bin|usr\/sbin)\/(sh|bash|dash|apt|apt-get|dpkg)$/.test(p)),
      'a shell or package manager in the runtime layer',
    );
    const bad = paths(modules!).filter((p) =>
      /\.(d\.[cm]?ts|[cm]?ts|map)$|\/(README|CHANGELOG)[^/]*$|\/(test|tests|__tests__)\/|better-sqlite3\/(deps|src)\//i.test(p),
    );
    assert.deepEqual(bad, [], 'files in node_modules no process needs');
    assert.ok(paths(modules!).includes('app/node_modules/@grpc/grpc-js/package.json'));
    assert.ok(
      !paths(modules!).some((p) => p.includes('/pg-native/') || p.includes('/typescript/') || p.includes('/esbuild/')),
      'dev or optional-native packages in node_modules',
    );
    assert.ok(
      paths(modules!).includes(`app/node_modules/better-sqlite3/prebuilds/linux-${process.arch}.node`) ||
        paths(modules!).includes('app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
    );
    const prebuilds = paths(modules!).filter((p) => /better-sqlite3\/prebuilds\/[^/]+$/.test(p));
    assert.ok(
      prebuilds.every((p) => p.endsWith(`/linux-${process.arch}.node`)),
      `other platforms' prebuilds: ${prebuilds.join(' ')}`,
    );
    assert.deepEqual(
      paths(app!).filter((p) => !p.endsWith('/')),
      [
        'app/bundle.mjs',
        'app/config/dev/shared.yaml',
        'app/config/dev/users.yaml',
        'app/config/prod/shared.yaml',
        'app/config/prod/users.yaml',
        'app/config/staging/shared.yaml',
        'app/config/staging/users.yaml',
      ],
    );
    // Nothing of the build host leaks into any blob: not the checkout's path, not the output folder.
    for (const file of [...users.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`), 'index.json']) {
      const raw = readFileSync(join(layout, file));
      const data = file.startsWith('blobs/') ? gunzipSync(raw) : raw;
      for (const needle of [REPO_ROOT, scratch]) assert.equal(data.indexOf(needle), -1, `${file} contains ${needle}`);
    }
  });

  await t.test('skopeo reads the layout and the oci-archive', async () => {
    const users = first.images.find((s) => s.image.startsWith('flotilla/users:'))!;
    const inspected = JSON.parse((await run('skopeo', ['inspect', `oci:${join(REPO_ROOT, users.layout)}:${first.version}`])).stdout) as {
      Digest: string;
      Layers: string[];
    };
    assert.equal(inspected.Digest, users.digest);
    assert.deepEqual(
      inspected.Layers,
      users.layers.map((l) => l.digest),
    );
    const greeter = first.images.find((s) => s.image.startsWith('flotilla/greeter:'))!;
    const config = JSON.parse((await run('skopeo', ['inspect', '--config', `oci-archive:${join(REPO_ROOT, greeter.archive)}`])).stdout) as {
      config: { User: string; Entrypoint: string[]; Env: string[]; WorkingDir: string };
    };
    assert.equal(config.config.User, '65532:65532');
    assert.equal(config.config.Entrypoint[0], LAYOUT.node);
    assert.equal(config.config.Entrypoint.at(-1), LAYOUT.bundle);
    assert.ok(
      config.config.Env.includes(`FLOTILLA_HOME=${LAYOUT.home}`) &&
        config.config.Env.includes('NODE_ENV=production') &&
        config.config.Env.includes('NODE_OPTIONS=--max-semi-space-size=8') &&
        config.config.Env.includes(`FLOTILLA_CONFIG_DIR=${LAYOUT.config}`),
    );
  });

  await t.test('every external the bundles load resolves inside the image (import and require)', async () => {
    const users = first.images.find((s) => s.image.startsWith('flotilla/users:'))!;
    const check = `
      import { createRequire } from 'node:module';
      const require = createRequire('${LAYOUT.bundle}');
      const names = ${JSON.stringify([...first.externals, 'mysql2/promise', '@fastify/static'])};
      const failed = [];
      for (const name of names) {
        try { await import(name); } catch (e) { failed.push('import ' + name + ': ' + e.message); }
        try { require(name); } catch (e) { if (e.code !== 'ERR_REQUIRE_ESM') failed.push('require ' + name + ': ' + e.message); }
      }
      new (require('better-sqlite3'))(':memory:').prepare('select 1').get();
      console.log(JSON.stringify(failed));`;
    const container = await startContainer({
      layout: join(REPO_ROOT, users.layout),
      tag: first.version,
      workDir: scratch,
      name: 'modules',
      args: [LAYOUT.node, '--input-type=module', '-e', check],
      cwd: '/app',
    });
    try {
      const code = await withTimeout(container.exited, 60_000, 'module check');
      assert.equal(code, 0, container.output());
      assert.deepEqual(JSON.parse(container.output().trim().split('\n').at(-1)!), []);
      assert.ok(
        first.externals.includes('better-sqlite3') && first.externals.includes('pg') && first.externals.includes('@grpc/grpc-js'),
        first.externals.join(' '),
      );
    } finally {
      await container.destroy();
    }
  });

  await t.test('users runs under runc: /readyz, writes SQLite under /var/lib/flotilla, SIGTERM exits 0', (st) =>
    runService(st, first, scratch, 'users', async (base) => {
      const created = await fetch(`${base}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      assert.equal(((await (await fetch(`${base}/users/${id}`)).json()) as { email: string }).email, 'ada@example.com');
    }),
  );

  await t.test('greeter runs under runc: /readyz, /hello, SIGTERM exits 0', (st) =>
    runService(st, first, scratch, 'greeter', async (base) => {
      const response = await fetch(`${base}/hello/images`);
      assert.equal(response.status, 200);
      assert.match(JSON.stringify(await response.json()), /images/);
    }),
  );
});
