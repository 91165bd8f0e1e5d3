/**
 * Runs an image from an OCI layout without a container daemon: skopeo copies
 * it to a layout with gzip layers (Debian's umoci 0.4.7 reads no zstd; the
 * copy also shows skopeo reads ours), `umoci unpack` makes a runtime bundle (rootfs + config.json from the image config), the
 * config is tightened (read-only root, no capabilities, a tmpfs owned by
 * 65532 on /var/lib/flotilla, no network namespace so the host's loopback is
 * used) and `runc run` starts it in the foreground, so its exit status is the
 * container's. runc keeps its state under a private --root; `destroy()` kills
 * and deletes the container and removes the bundle whatever state it is in.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface RuntimeSpec {
  process: {
    terminal?: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<string, string[]>;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: { destination: string; type?: string; source?: string; options?: string[] }[];
  linux: { namespaces: { type: string }[] };
}

export interface ContainerOptions {
  /** OCI layout folder and tag, e.g. dist/images/users and 0.1.0. */
  layout: string;
  tag: string;
  /** Scratch folder for the bundle and runc's state. */
  workDir: string;
  name: string;
  env?: Record<string, string>;
  /** Replace the image's entrypoint (e.g. to run a check script). */
  args?: string[];
  cwd?: string;
  /** Host files bound read-only into the container (container path → host path), e.g. a probe's interpreter. */
  binds?: Record<string, string>;
}

export interface Container {
  id: string;
  spec: RuntimeSpec;
  /** Resolves with runc's exit status, which is the container process's. */
  exited: Promise<number>;
  output(): string;
  /** Host pid of the container's PID 1 (from `runc state`). */
  pid(): Promise<number>;
  kill(signal: string): Promise<void>;
  /** `runc exec` as the image's user. */
  exec(args: string[]): Promise<{ stdout: string; stderr: string }>;
  destroy(): Promise<void>;
}

export async function startContainer(options: ContainerOptions): Promise<Container> {
  const id = `flotilla-test-${options.name}-${randomBytes(3).toString('hex')}`;
  const bundle = join(options.workDir, id);
  const state = join(options.workDir, 'runc-state');
  mkdirSync(state, { recursive: true });
  const runc = (args: string[]) => run('runc', ['--root', state, ...args], { maxBuffer: 16 * 1024 * 1024 });
  let child: ChildProcess | undefined;
  const destroy = async (): Promise<void> => {
    await runc(['kill', id, 'KILL']).catch(() => undefined);
    await runc(['delete', '--force', id]).catch(() => undefined);
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(bundle, { recursive: true, force: true });
  };
  try {
    const gzipLayout = join(options.workDir, `${id}-gzip`);
    mkdirSync(gzipLayout);
    await run('skopeo', [
      'copy',
      '--quiet',
      '--dest-compress',
      '--dest-compress-format',
      'gzip',
      `oci:${options.layout}:${options.tag}`,
      `oci:${gzipLayout}:${options.tag}`,
    ]);
    await run('umoci', ['unpack', '--image', `${gzipLayout}:${options.tag}`, bundle], { maxBuffer: 16 * 1024 * 1024 });
    rmSync(gzipLayout, { recursive: true, force: true });
    const specPath = join(bundle, 'config.json');
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as RuntimeSpec;
    harden(spec, options);
    writeFileSync(specPath, JSON.stringify(spec, null, 2));
    let output = '';
    child = spawn('runc', ['--root', state, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = child;
    const exited = new Promise<number>((resolve) => started.once('exit', (code, signal) => resolve(code ?? (signal === null ? -1 : 128))));
    return {
      id,
      spec,
      exited,
      output: () => output,
      pid: async () => (JSON.parse((await runc(['state', id])).stdout) as { pid: number }).pid,
      kill: async (signal) => {
        await runc(['kill', id, signal]);
      },
      exec: (args) => runc(['exec', '--user', `${spec.process.user.uid}:${spec.process.user.gid}`, id, ...args]),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

function harden(spec: RuntimeSpec, options: ContainerOptions): void {
  spec.process.terminal = false;
  if (options.args !== undefined) spec.process.args = options.args;
  if (options.cwd !== undefined) spec.process.cwd = options.cwd;
  spec.process.env = [...spec.process.env, ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  spec.process.capabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  spec.root.readonly = true;
  spec.hostname = options.name;
  // The image's volume: umoci mounts a root-owned tmpfs; make it the service user's.
  spec.mounts = spec.mounts.filter((m) => m.destination !== '/var/lib/flotilla');
  spec.mounts.push({
    destination: '/var/lib/flotilla',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['rw', 'nosuid', 'nodev', 'noexec', 'size=64m', 'mode=0700', `uid=${spec.process.user.uid}`, `gid=${spec.process.user.gid}`],
  });
  for (const [destination, source] of Object.entries(options.binds ?? {}))
    spec.mounts.push({ destination, type: 'bind', source, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  // No network namespace: the container shares the host's loopback (and nothing is sent elsewhere).
  spec.linux.namespaces = spec.linux.namespaces.filter((ns) => ns.type !== 'network');
}
