// Builds the five OCI images twice and checks they are byte-identical, within
// the size target, share their base layer, hold what they should (and no
// build-host paths), are readable by skopeo, and really run their executables:
// the operator's starts inside its image's root, users and greeter serve under
// runc as uid 65532 on a read-only root with a noexec tmpfs state volume,
// answering /readyz, then stopping with exit 0 on SIGTERM to their PID 1.
// Needs root and umoci/runc/skopeo; see support/requirements.ts for when it skips.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { zstdDecompressSync } from 'node:zlib';
import { eventually, freePort } from '@flotilla/testing';
import { buildContext, REPO_ROOT, type BuildContext } from '../context.ts';
import { nodeBinary } from '../executables.ts';
import { executablePath, IMAGES, LAYOUT } from '../images.ts';
import { ensureCompiled } from './support/compiled.ts';
import { listLayer, readBuild, type BuildResult } from './support/layers.ts';
import { ensureRequirements } from './support/requirements.ts';
import { startContainer, type Container } from './support/runc.ts';

const run = promisify(execFile);
/** The images' size target (README.md, Sizes): 33-38 MiB today, with zstd layers. */
const MAX_COMPRESSED = 45 * 1024 * 1024;
/** The images hold no Node to run a probe script with: the test binds the pinned one in, read-only, at this path. */
const PROBE_NODE = '/probe/node';

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
  const container = await startContainer({
    layout: join(REPO_ROOT, summary.layout),
    tag: build.version,
    workDir: scratch,
    name,
    env,
    binds: { [PROBE_NODE]: nodeBinary(buildContext()) },
  });
  t.after(() => container.destroy());
  try {
    const base = `http://127.0.0.1:${http}`;
    const ready = (await waitReady(`${base}/readyz`, container)) as { status: string };
    assert.equal(ready.status, 'ready');

    // PID 1 is the executable itself, running as 65532, on a read-only root with a writable state volume.
    const pid = await container.pid();
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), `${executablePath({ short: name })}\0`);
    assert.match(container.output(), /"process\.pid":1,/);
    const probe = `const fs = require('node:fs'); const out = {};
      for (const path of ['/app/probe', '${LAYOUT.assets}/probe', '/etc/probe', '/tmp/probe', '${LAYOUT.home}/probe']) { try { fs.writeFileSync(path, 'x'); out[path] = 'ok'; } catch (e) { out[path] = e.code; } }
      fs.rmSync('${LAYOUT.home}/probe', { force: true });
      out.id = process.getuid() + ':' + process.getgid(); out.home = fs.readdirSync('${LAYOUT.home}').sort(); console.log(JSON.stringify(out));`;
    const { stdout } = await container.exec([PROBE_NODE, '-e', probe]);
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    for (const path of ['/app/probe', `${LAYOUT.assets}/probe`, '/etc/probe', '/tmp/probe']) assert.equal(seen[path], 'EROFS', path);
    assert.equal(seen[`${LAYOUT.home}/probe`], 'ok');
    assert.equal(seen.id, '65532:65532');
    // The executable wrote none of its assets: it found them in the image (SQLite's addon cannot load from the noexec volume).
    assert.deepEqual(
      (seen.home as string[]).filter((entry) => entry === '.cache' || entry === 'sea-assets'),
      [],
      `${LAYOUT.home} holds: ${JSON.stringify(seen.home)}`,
    );
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
  t.diagnostic(ensureCompiled(REPO_ROOT));
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

  await t.test('all five share the base layer; each has its own service layer', () => {
    assert.ok(first.images.every((s) => s.layers.length === 2));
    assert.equal(new Set(first.images.map((s) => s.layers[0]!.digest)).size, 1);
    assert.equal(new Set(first.images.map((s) => s.layers[1]!.digest)).size, IMAGES.length);
  });

  await t.test('layers: fixed owners and times, only runtime files, no build-host paths', async () => {
    const users = first.images.find((s) => s.image.startsWith('flotilla/users:'))!;
    const layout = join(REPO_ROOT, users.layout);
    const time = new Date(first.sourceDateEpoch * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '');
    const [base, service] = await Promise.all(users.layers.map((l) => listLayer(layout, l.digest)));
    for (const entry of [...base!, ...service!]) {
      assert.equal(entry.time, time, `${entry.path} mtime`);
      assert.ok(
        entry.owner === '0/0' || (entry.owner === '65532/65532' && entry.path === 'var/lib/flotilla/'),
        `${entry.path} owned by ${entry.owner}`,
      );
    }
    const paths = (list: { path: string }[]) => list.map((e) => e.path);
    for (const path of [
      'lib64/ld-linux-x86-64.so.2',
      'etc/ssl/certs/ca-certificates.crt',
      'etc/passwd',
      'etc/group',
      'var/lib/flotilla/',
      'tmp/',
    ]) {
      if (path.startsWith('lib64/') && process.arch !== 'x64') continue;
      assert.ok(paths(base!).includes(path), `base layer lacks ${path}`);
    }
    assert.ok(
      paths(base!).every((p) => !/^(bin|sbin|usr\/bin|usr\/sbin|usr\/local\/bin)\/(sh|bash|dash|apt|apt-get|dpkg|node)$/.test(p)),
      'a shell, a package manager or a Node in the base layer',
    );
    const files = paths(service!).filter((p) => !p.endsWith('/'));
    const assets = files.filter((p) => p.startsWith('app/assets/'));
    assert.deepEqual(
      files.filter((p) => !p.startsWith('app/assets/')),
      [
        'app/config/dev/shared.yaml',
        'app/config/dev/users.yaml',
        'app/config/prod/shared.yaml',
        'app/config/prod/users.yaml',
        'app/config/staging/shared.yaml',
        'app/config/staging/users.yaml',
        'app/users',
      ],
    );
    // One folder of assets, named by their hash: SQLite's addon, swagger-ui's static files, etcd3's protos.
    assert.equal(new Set(assets.map((p) => p.split('/')[2])).size, 1, assets.join(' '));
    for (const needle of ['/addons/better_sqlite3.node', '/packages/@fastify/swagger-ui/static/', '/packages/etcd3/proto/'])
      assert.ok(
        assets.some((p) => p.includes(needle)),
        `no ${needle} under app/assets`,
      );
    const executable = service!.find((e) => e.path === 'app/users')!;
    assert.equal(executable.mode, '-rwxr-xr-x');
    // Nothing of the build host leaks into any blob: not the checkout's path, not the output folder.
    for (const file of [...users.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`), 'index.json']) {
      const raw = readFileSync(join(layout, file));
      const data = file.startsWith('blobs/') ? zstdDecompressSync(raw) : raw;
      for (const needle of [REPO_ROOT, scratch]) assert.equal(data.indexOf(needle), -1, `${file} contains ${needle}`);
    }
    const gateway = first.images.find((s) => s.image.startsWith('flotilla/gateway:'))!;
    const gatewayFiles = paths(await listLayer(join(REPO_ROOT, gateway.layout), gateway.layers[1]!.digest));
    assert.ok(
      gatewayFiles.some((p) => /^app\/assets\/[^/]+\/gateway-console\/console\/index\.html$/.test(p)),
      "the gateway's console is not among its assets",
    );
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
    assert.deepEqual(config.config.Entrypoint, ['/app/greeter']);
    for (const variable of [
      `FLOTILLA_HOME=${LAYOUT.home}`,
      'NODE_ENV=production',
      'NODE_OPTIONS=--max-semi-space-size=8',
      `FLOTILLA_CONFIG_DIR=${LAYOUT.config}`,
      `FLOTILLA_SEA_ASSETS_DIR=${LAYOUT.assets}`,
    ])
      assert.ok(config.config.Env.includes(variable), `${variable} not in ${config.config.Env.join(' ')}`);
  });

  await t.test("the operator's executable starts in its image and reads its flags and environment", async () => {
    const operator = first.images.find((s) => s.image.startsWith('flotilla/operator:'))!;
    // No cluster here: a kubeconfig that is not there ends it with the operator's own message and code.
    const container = await startContainer({
      layout: join(REPO_ROOT, operator.layout),
      tag: first.version,
      workDir: scratch,
      name: 'operator',
      env: { FLOTILLA_OPERATOR_KUBECONFIG: `${LAYOUT.home}/kubeconfig` },
    });
    try {
      const code = await withTimeout(container.exited, 60_000, 'the operator');
      assert.equal(code, 2, container.output());
      assert.match(container.output(), new RegExp(`^flotilla operator: ENOENT: .*'${LAYOUT.home}/kubeconfig'$`, 'm'));
      assert.equal(container.output().match(/flotilla operator:/g)?.length, 1, 'the operator started more than once');
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
