// A real Kubernetes control plane for tests: etcd (from ./etcd.ts), kube-apiserver and
// kube-controller-manager built from the k8s.io/kubernetes Go module (scripts/k8s).
//
// env for tests:
//   FLOTILLA_TEST_KUBECONFIG    admin kubeconfig (client certificate, system:masters)
//   FLOTILLA_TEST_KUBE_DIR      the control plane's directory (logs, pki)
//   FLOTILLA_TEST_KUBE_BIN_DIR  where kube-apiserver, kube-controller-manager and kubectl are (private control planes, manifest checks)
//   FLOTILLA_TEST_KUBE_ETCD_ENDPOINT  etcd client URL (e.g. to compact it)
// Tests that restart the apiserver or compact its etcd start one of their own with
// privateControlPlane(); suites checking manifests run the same version's kubectl().
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AptNeeds, RunningServer, ServerContext, TestServer } from './types.ts';
import { findOnPath } from './lib/paths.ts';
import { startEtcd } from './etcd.ts';
import {
  binariesCached,
  buildKubernetes,
  cachedBinDir,
  CONTROL_PLANE_COMMANDS,
  startControlPlane,
  type ControlPlane,
  type EtcdStarter,
} from '../k8s/control-plane.ts';

export type { ControlPlane } from '../k8s/control-plane.ts';
export { binariesCached, buildKubernetes, kubernetesVersion } from '../k8s/control-plane.ts';

const etcdStarter: EtcdStarter = async (dir, log) => {
  const etcd = await startEtcd({ dir, log });
  return { endpoint: etcd.endpoint, stop: () => etcd.stop() };
};

export interface KubeControlPlaneOptions {
  dir: string;
  log?: (message: string) => void;
  /** extra kube-apiserver flags */
  apiserverFlags?: string[];
  /** kube-controller-manager controllers on top of the default set (a node needs NODE_CONTROLLERS) */
  extraControllers?: string[];
}

/** Starts a private control plane (its own etcd) in `dir`; stop() it when done. */
export async function startKubeControlPlane(options: KubeControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[kube] ${m}\n`));
  return await startControlPlane({
    dir: options.dir,
    log,
    startEtcd: etcdStarter,
    binDir: process.env.FLOTILLA_TEST_KUBE_BIN_DIR || undefined,
    apiserverFlags: options.apiserverFlags,
    extraControllers: options.extraControllers,
  });
}

/**
 * A control plane of the caller's own, removed with its folder on stop. Needs the
 * built binaries: without them a reason to skip, or an error when the suites run
 * with every server (FLOTILLA_TEST_REQUIRE_SERVICES=1).
 */
export async function privateControlPlane(): Promise<ControlPlane | { skip: string }> {
  const binDir = process.env.FLOTILLA_TEST_KUBE_BIN_DIR;
  const available = (binDir !== undefined && existsSync(join(binDir, 'kube-apiserver'))) || (await binariesCached());
  if (!available) {
    if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1')
      throw new Error('kube-apiserver binaries are missing but FLOTILLA_TEST_REQUIRE_SERVICES=1 (run scripts/k8s/build.sh)');
    return { skip: 'no kube-apiserver binaries: run scripts/k8s/build.sh' };
  }
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-private-kube-'));
  const plane = await startKubeControlPlane({ dir, log: () => {} });
  const stop = plane.stop.bind(plane);
  plane.stop = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  return plane;
}

/** Runs the kubectl built beside the control plane (the same version) against `kubeconfig`. */
export async function kubectl(kubeconfig: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const command = join(await cachedBinDir(), 'kubectl');
  return await promisify(execFile)(command, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 8 << 20 });
}

export function controlPlaneEnv(plane: ControlPlane): Record<string, string> {
  return {
    FLOTILLA_TEST_KUBECONFIG: plane.kubeconfig,
    FLOTILLA_TEST_KUBE_DIR: plane.dir,
    FLOTILLA_TEST_KUBE_BIN_DIR: plane.binDir,
    FLOTILLA_TEST_KUBE_ETCD_ENDPOINT: plane.etcdEndpoint,
  };
}

export const kube: TestServer & AptNeeds = {
  name: 'kube',
  // openssl makes the PKI; Go (for the build) comes with the machine.
  missingAptPackages: () => (findOnPath('openssl') ? [] : ['openssl']),
  async install(log) {
    // kubectl (same version) for the suites that check deploy/kubernetes with `apply --dry-run=server -k`.
    await buildKubernetes(log, [...CONTROL_PLANE_COMMANDS, 'kubectl']);
  },
  async start(ctx: ServerContext): Promise<RunningServer> {
    const plane = await startKubeControlPlane({ dir: ctx.dir, log: ctx.log });
    return { env: controlPlaneEnv(plane), stop: () => plane.stop() };
  },
};
