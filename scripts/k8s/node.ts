// A real Kubernetes node next to a control plane from control-plane.ts: containerd + runc
// + CNI plugins (Debian packages), kube-scheduler and the kubelet (built by build.sh), in
// a network namespace of its own (node-network.ts) and a private mount namespace, with a
// locally built pause image (pause-image.ts). See README.md for the layout and why.
//
//   const node = await startNode(plane, { log });   // resolves once the Node is Ready
//   ...pods run on node.name, reachable from the host at node.nodeIP:<hostPort> or their pod IP
//   await node.stop();                               // removes everything it made
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { aptInstall } from '../test-services/lib/apt.ts';
import { readLogTail } from '../test-services/lib/logtail.ts';
import { findOnPath } from '../test-services/lib/paths.ts';
import { isProcessAlive, launch, type ManagedProcess } from '../test-services/lib/proc.ts';
import { apiFromKubeconfig, poll, type KubeApi } from './api.ts';
import { buildKubernetes, NODE_COMMANDS, type ControlPlane } from './control-plane.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import {
  createNodeNetwork,
  deleteNodeNetwork,
  exec,
  listNodeNamespaces,
  parseNetnsName,
  startHostRelay,
  type HostRelay,
  type NodeNetwork,
} from './node-network.ts';
import { PAUSE_IMAGE, pauseImageArchive, pauseImageCached } from './pause-image.ts';
import { issueClientCertificate } from './pki.ts';

export { PAUSE_IMAGE } from './pause-image.ts';

/**
 * Controllers a node needs from kube-controller-manager: kube-root-ca.crt in every namespace
 * (service-account token volumes), and nodelifecycle, which removes the
 * node.kubernetes.io/not-ready taint the TaintNodesByCondition admission puts on new Nodes.
 * startNode() runs the ones the control plane lacks in a kube-controller-manager of its own.
 */
export const NODE_CONTROLLERS = ['root-ca-cert-publisher', 'nodelifecycle', 'endpointslice', 'horizontalpodautoscaling'];

/** The `kubernetes` Service's ClusterIP (first address of the control plane's service CIDR). */
const KUBERNETES_SERVICE = { ip: '10.96.0.1', port: 443 };

export interface NodeOptions {
  /** working directory (config, logs, containerd and kubelet state); default $TMPDIR/<netns name> */
  dir?: string;
  /** keep `dir` on stop() (default: removed) */
  keepDir?: boolean;
  /** Node name (default flotilla-node-<slot>) */
  name?: string;
  log?: (message: string) => void;
  /** directory with kubelet and kube-scheduler (default: the control plane's binDir, built there if missing) */
  binDir?: string;
  /** how long to wait for the Node's Ready condition (default 180 s) */
  readyTimeoutMs?: number;
  /** kubelet log verbosity (default 1) */
  kubeletVerbosity?: number;
}

export interface KubeNode {
  /** the Node object's name */
  name: string;
  dir: string;
  /** network namespace (ip netns list) that holds the kubelet, containerd and the pods' bridge */
  netns: string;
  /** the node's InternalIP, on the bridge inside netns: the kubelet (10250) and hostPorts answer here, routed from the host */
  nodeIP: string;
  /** pods get addresses from here; the host routes it into the namespace */
  podCIDR: string;
  /** host end of the veth pair, and its address (the apiserver relay listens on it) */
  hostInterface: string;
  hostIP: string;
  /** cgroup (in every hierarchy) holding containerd, the kubelet and all pods: /sys/fs/cgroup/<ctrl>/<cgroup> */
  cgroup: string;
  containerdSocket: string;
  /** image of the pod sandbox; also runnable in test pods (`/pause -l PORT` answers TCP) with imagePullPolicy Never */
  pauseImage: string;
  /** the kubelet's kubeconfig (system:node:<name>, via the relay) */
  kubeconfig: string;
  /** milliseconds from startNode() to Ready */
  startMs: number;
  /** what findLeftovers() checks after stop() */
  footprint: NodeFootprint;
  stop(): Promise<void>;
}

const PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** Debian packages the node needs that are not installed. */
export function missingNodePackages(): string[] {
  const missing: string[] = [];
  if (!findOnPath('containerd') || !findOnPath('ctr')) missing.push('containerd');
  if (!findOnPath('runc')) missing.push('runc');
  if (!['bridge', 'host-local', 'portmap', 'loopback'].every((p) => existsSync(join('/usr/lib/cni', p))))
    missing.push('containernetworking-plugins');
  if (!findOnPath('iptables')) missing.push('iptables');
  if (!findOnPath('nsenter') || !findOnPath('unshare')) missing.push('util-linux');
  if (!findOnPath('flock')) missing.push('util-linux');
  if (!findOnPath('openssl')) missing.push('openssl');
  return missing;
}

async function missingPausePackages(): Promise<string[]> {
  if (await pauseImageCached()) return [];
  if (!findOnPath('gcc')) return ['gcc', 'libc6-dev'];
  const libc = (await exec('gcc', ['-print-file-name=libc.a'])).trim();
  return libc.startsWith('/') ? [] : ['libc6-dev'];
}

// ---- cgroups ---------------------------------------------------------------------------

function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => f[1]!);
}

/** Creates <mount>/<name> and <mount>/<name>/runtime in every hierarchy (cpuset ones inherit cpus/mems). */
async function createCgroupTree(name: string): Promise<string[]> {
  const runtimeDirs: string[] = [];
  for (const mount of cgroupMounts()) {
    for (const [parent, dir] of [
      [mount, join(mount, name)],
      [join(mount, name), join(mount, name, 'runtime')],
    ] as const) {
      await mkdir(dir, { recursive: true });
      if (existsSync(join(dir, 'cpuset.cpus')) && (await readFile(join(dir, 'cpuset.cpus'), 'utf8')).trim() === '') {
        await writeFile(join(dir, 'cpuset.cpus'), await readFile(join(parent, 'cpuset.cpus'), 'utf8'));
        await writeFile(join(dir, 'cpuset.mems'), await readFile(join(parent, 'cpuset.mems'), 'utf8'));
      }
    }
    runtimeDirs.push(join(mount, name, 'runtime'));
  }
  return runtimeDirs;
}

function subdirsDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return out;
  }
  for (const entry of entries) out.push(...subdirsDeepestFirst(join(dir, entry)));
  out.push(dir);
  return out;
}

function pidsInCgroup(name: string, sub = ''): number[] {
  const pids = new Set<number>();
  for (const mount of cgroupMounts()) {
    for (const dir of subdirsDeepestFirst(join(mount, name, sub))) {
      try {
        for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return [...pids];
}

/** SIGKILLs every process in the cgroup (sub)tree until none is left. */
async function killCgroupTree(name: string, sub = '', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = pidsInCgroup(name, sub).filter((pid) => pid !== process.pid);
    if (pids.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes left in cgroup ${name}/${sub}: ${pids.join(' ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function removeCgroupTree(name: string): Promise<void> {
  for (const mount of cgroupMounts()) {
    for (const dir of subdirsDeepestFirst(join(mount, name))) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (attempt >= 50) throw new Error(`cannot remove cgroup ${dir}: ${code}`);
          await new Promise((r) => setTimeout(r, 100)); // a dying process still counts
        }
      }
    }
  }
}

// ---- mounts ----------------------------------------------------------------------------

function mountsUnder(dir: string): string[] {
  const decode = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => decode(line.split(' ')[1] ?? ''))
    .filter((target) => target === dir || target.startsWith(`${dir}/`));
}

/** Lazily unmounts everything mounted at or under `dir` in the host mount namespace, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  for (let round = 0; round < 5; round += 1) {
    const targets = mountsUnder(dir).sort((a, b) => b.length - a.length);
    if (targets.length === 0) return;
    for (const target of targets) await exec('umount', ['-l', target]).catch(() => {});
  }
}

// ---- leftovers and stale nodes ---------------------------------------------------------

export interface NodeFootprint {
  dir: string;
  netns: string;
  hostInterface: string;
  cgroup: string;
  /** CNI-/KUBE- lines of the host's iptables-save before the node started (not the node's) */
  hostIptablesBefore?: string[];
  /** the directory is meant to stay (keepDir): its existence is no leftover */
  dirKept?: boolean;
}

async function hostIptablesLines(): Promise<string[]> {
  const rules = await exec('iptables-save', []).catch(() => '');
  return rules.split('\n').filter((line) => /CNI-|KUBE-|flotilla/.test(line));
}

/** What of a node still exists on this machine (empty after a clean stop()). */
export async function findLeftovers(node: NodeFootprint): Promise<string[]> {
  const found: string[] = [];
  if (listNodeNamespaces().includes(node.netns)) found.push(`network namespace ${node.netns}`);
  const links = await exec('ip', ['-o', 'link', 'show']);
  if (new RegExp(`^\\d+: ${node.hostInterface}[@:]`, 'm').test(links)) found.push(`link ${node.hostInterface}`);
  // The node's rules live in its namespace; none may appear on the host.
  for (const line of await hostIptablesLines()) if (!node.hostIptablesBefore?.includes(line)) found.push(`host iptables: ${line}`);
  for (const target of mountsUnder(node.dir)) found.push(`mount ${target}`);
  for (const mount of cgroupMounts()) if (existsSync(join(mount, node.cgroup))) found.push(`cgroup ${join(mount, node.cgroup)}`);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (!isProcessAlive(Number(pid))) continue; // a zombie waiting for its reaper
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (cmdline.includes(node.dir) || cgroups.includes(`/${node.cgroup}`)) found.push(`process ${pid}: ${cmdline.trim()}`);
    } catch {
      /* exited */
    }
  }
  if (!node.dirKept && existsSync(node.dir)) found.push(`directory ${node.dir}`);
  return found;
}

/** Removes what nodes of dead processes left (their owner was SIGKILLed and could not stop them). */
export async function sweepStaleNodes(log: (m: string) => void): Promise<void> {
  const stale = new Set<string>();
  for (const name of listNodeNamespaces()) stale.add(name);
  for (const mount of cgroupMounts()) {
    try {
      for (const name of readdirSync(mount)) if (parseNetnsName(name)) stale.add(name);
    } catch {
      /* unreadable */
    }
  }
  for (const name of stale) {
    const owner = parseNetnsName(name)!;
    if (owner.pid === process.pid || isProcessAlive(owner.pid)) continue;
    log(`removing stale node ${name} (its owner ${owner.pid} is gone)`);
    await killCgroupTree(name).catch((e: Error) => log(e.message));
    await removeCgroupTree(name).catch((e: Error) => log(e.message));
    await deleteNodeNetwork({ netns: name, hostInterface: `flnode${owner.slot}` }, log);
    const dir = join(tmpdir(), name);
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- configuration files ---------------------------------------------------------------

// The kubelet sets these host-wide sysctls unless they already hold these values
// (protectKernelDefaults: true makes it fail instead). The node's mount namespace shows it
// files with these values over /proc/sys, so the host keeps its own.
const KUBELET_SYSCTLS: Record<string, number> = {
  'vm/overcommit_memory': 1,
  'vm/panic_on_oom': 0,
  'kernel/panic': 10,
  'kernel/panic_on_oops': 1,
  'kernel/keys/root_maxkeys': 1000000,
  'kernel/keys/root_maxbytes': 25000000,
};

function mountNamespaceScript(dir: string): string {
  const binds = Object.keys(KUBELET_SYSCTLS).map((key) => `mount --bind "$D/sysctl/${key.replaceAll('/', '.')}" /proc/sys/${key}`);
  return `#!/bin/sh
# First process of the node's private mount namespace (unshare --mount --propagation private),
# then exec'd into containerd; the kubelet joins the namespace. Everything mounted here
# (container rootfs overlays, volume tmpfs, pod network namespaces) is invisible to the host
# and disappears with the last process of the node.
set -eu
D='${dir}'
# shim sockets (/run/containerd/s), runc state, /run/netns of pods: private
mount -t tmpfs -o mode=0755,size=64m flotilla-node-run /run
# /var/log/pods and /var/log/containers (the kubelet hardcodes the latter)
mount --bind "$D/var-log" /var/log
# /var/lib: the host's entries as they are, except what the kubelet (device plugins, its
# certificate dir) and the CNI library (its result cache) would create there: those
# live in the node's directory, so no node leaves them on the host.
mkdir -p "$D/host-var-lib" "$D/var-lib/kubelet" "$D/var-lib/cni"
mount --bind /var/lib "$D/host-var-lib"
mount -t tmpfs -o mode=0755,size=1m flotilla-node-var-lib /var/lib
for entry in "$D/host-var-lib"/* "$D/host-var-lib"/.[!.]*; do
  [ -e "$entry" ] || continue
  name=\${entry##*/}
  case "$name" in kubelet|cni) continue ;; esac
  if [ -d "$entry" ]; then mkdir "/var/lib/$name"; else : > "/var/lib/$name"; fi
  mount --bind "$entry" "/var/lib/$name"
done
mkdir /var/lib/kubelet /var/lib/cni
mount --bind "$D/var-lib/kubelet" /var/lib/kubelet
mount --bind "$D/var-lib/cni" /var/lib/cni
${binds.join('\n')}
exec "$@"
`;
}

function containerdConfig(dir: string, socket: string, cniConfDir: string): string {
  return `version = 2
root = "${join(dir, 'containerd', 'root')}"
state = "${join(dir, 'containerd', 'state')}"
oom_score = 0
# opt would create /opt/containerd; the rest cannot work here or is not used.
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${socket}"

[debug]
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # No CAP_SYS_RESOURCE here: without this, runc init fails ("can't get final child's PID").
  restrict_oom_score_adj = true
  disable_apparmor = true
  disable_tcp_service = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cniConfDir}"
    max_conf_num = 1
`;
}

function cniConfig(net: NodeNetwork, ipamDir: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'flotilla',
      plugins: [
        {
          type: 'bridge',
          bridge: net.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: ipamDir,
            ranges: [[{ subnet: net.podCIDR, rangeStart: net.podRange.start, rangeEnd: net.podRange.end, gateway: net.nodeIP }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    },
    null,
    2,
  )}\n`;
}

function kubeletConfig(opts: { nodeIP: string; caCert: string; cgroupRoot: string; resolvConf: string; pluginDir: string }): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // The kubelet API listens on the node IP only (inside the namespace, routed from the host).
    address: opts.nodeIP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: '10s' },
      x509: { clientCAFile: opts.caCert },
    },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '10s', cacheUnauthorizedTTL: '5s' } },
    // cgroup v1 without systemd as PID 1: cgroupfs, as containerd (SystemdCgroup = false).
    cgroupDriver: 'cgroupfs',
    cgroupRoot: opts.cgroupRoot,
    cgroupsPerQOS: true,
    failSwapOn: false,
    protectKernelDefaults: true,
    oomScoreAdj: 0,
    resolvConf: opts.resolvConf,
    volumePluginDir: opts.pluginDir,
    registerNode: true,
    rotateCertificates: false,
    serializeImagePulls: false,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      'memory.available': '1Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
      'imagefs.inodesFree': '1%',
    },
    evictionPressureTransitionPeriod: '10s',
    nodeStatusReportFrequency: '10s',
    nodeStatusUpdateFrequency: '5s',
    syncFrequency: '10s',
    fileCheckFrequency: '10s',
    maxPods: 110,
    clusterDomain: 'cluster.local',
    containerLogMaxSize: '5Mi',
    shutdownGracePeriod: '0s',
    logging: { format: 'text' },
  });
}

// ---- start / stop ----------------------------------------------------------------------

// First in each process started into the node: join the node's runtime cgroup in every
// hierarchy (so stop() finds it and everything it forks, shims included), then exec.
const JOIN_CGROUP_AND_EXEC = 'IFS=:; for d in $1; do echo $$ > "$d/cgroup.procs"; done; unset IFS; shift; exec "$@"';

export async function startNode(plane: ControlPlane, options: NodeOptions = {}): Promise<KubeNode> {
  const began = Date.now();
  const log = options.log ?? ((m: string) => process.stderr.write(`[node] ${m}\n`));
  if (process.getuid?.() !== 0) throw new Error('startNode: must run as root (network namespaces, cgroups, mounts)');

  const packages = [...new Set([...missingNodePackages(), ...(await missingPausePackages())])];
  if (packages.length) await aptInstall(packages, log);
  const binDir = options.binDir ?? (await buildKubernetes(log, NODE_COMMANDS));
  const [archive] = await Promise.all([pauseImageArchive(log), sweepStaleNodes(log)]);
  const hostIptablesBefore = await hostIptablesLines();

  const net = await createNodeNetwork(log);
  const cgroup = net.netns;
  const dir = options.dir ?? join(tmpdir(), net.netns);
  const name = options.name ?? `flotilla-node-${net.slot}`;
  const socket = join(dir, 'containerd.sock');
  const footprint: NodeFootprint = {
    dir,
    netns: net.netns,
    hostInterface: net.hostInterface,
    cgroup,
    hostIptablesBefore,
    dirKept: options.keepDir === true,
  };
  const api = apiFromKubeconfig(plane.kubeconfig);
  const processes: { kubelet?: ManagedProcess; containerd?: ManagedProcess; scheduler?: ManagedProcess; controllers?: ManagedProcess } = {};
  let relay: HostRelay | undefined;

  const teardown = async (): Promise<string[]> => {
    const problems: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
      }
    };
    await step('stop kubelet', async () => processes.kubelet?.stop());
    // The API forgets the node and its pods too, if the control plane still answers.
    if (processes.kubelet) await forgetNode(api, name).catch(() => {});
    await step('stop kube-scheduler', async () => processes.scheduler?.stop());
    await step('stop kube-controller-manager', async () => processes.controllers?.stop());
    // Pods first (containers and sandboxes: runc processes of the kubepods tree), then
    // containerd, then whatever it left (shims).
    await step('kill pods', () => killCgroupTree(cgroup, 'kubepods'));
    await step('stop containerd', async () => processes.containerd?.stop());
    await step('kill node processes', () => killCgroupTree(cgroup));
    await step('close apiserver relay', async () => relay?.close());
    await step('unmount', () => unmountUnder(dir));
    await step('remove cgroups', () => removeCgroupTree(cgroup));
    await step('delete network', () => deleteNodeNetwork(net, log));
    if (!options.keepDir) await step('remove directory', () => rm(dir, { recursive: true, force: true }));
    // Killed processes may take a moment to be reaped; anything else is a real leftover.
    let left = await findLeftovers(footprint);
    for (let i = 0; i < 50 && left.length; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      left = await findLeftovers(footprint);
    }
    return [...problems, ...left.map((l) => `left behind: ${l}`)];
  };

  try {
    for (const sub of ['pki', 'cni/net.d', 'cni/ipam', 'kubelet', 'var-log', 'sysctl', 'tmp', 'volume-plugins', 'containerd']) {
      await mkdir(join(dir, sub), { recursive: true });
    }
    await writeFile(join(dir, 'owner'), `${process.pid}\n`);

    // Identities: the kubelet reaches the apiserver through the relay on the veth.
    relay = await startHostRelay(net, plane.port);
    // No kube-proxy: one DNAT rule in the node's namespace gives Pods the `kubernetes`
    // Service (KUBERNETES_SERVICE_HOST/PORT, what in-cluster clients use) via the relay.
    await exec('nsenter', [
      `--net=${net.netnsPath}`,
      '--',
      'iptables',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-d',
      `${KUBERNETES_SERVICE.ip}/32`,
      '-p',
      'tcp',
      '--dport',
      String(KUBERNETES_SERVICE.port),
      '-j',
      'DNAT',
      '--to-destination',
      `${relay.address}:${relay.port}`,
    ]);
    const ca = { caCert: plane.caCert, caKey: plane.caKey };
    const pki = join(dir, 'pki');
    await copyFile(plane.caCert, join(pki, 'ca.crt'));
    const kubeletCert = await issueClientCertificate(
      pki,
      { name: 'kubelet', commonName: `system:node:${name}`, organization: 'system:nodes' },
      ca,
    );
    const schedulerCert = await issueClientCertificate(pki, { name: 'scheduler', commonName: 'system:kube-scheduler' }, ca);
    const kubeconfig = join(dir, 'kubelet.kubeconfig');
    await writeKubeconfig(kubeconfig, {
      server: `https://${relay.address}:${relay.port}`,
      tlsServerName: 'kubernetes',
      caCert: plane.caCert,
      clientCert: kubeletCert.cert,
      clientKey: kubeletCert.key,
      user: `system:node:${name}`,
    });
    const schedulerKubeconfig = join(dir, 'scheduler.kubeconfig');
    await writeKubeconfig(schedulerKubeconfig, {
      server: plane.server,
      caCert: plane.caCert,
      clientCert: schedulerCert.cert,
      clientKey: schedulerCert.key,
      user: 'system:kube-scheduler',
    });

    // Files the node's mount namespace puts in place, and the runtime's configuration.
    for (const [key, value] of Object.entries(KUBELET_SYSCTLS))
      await writeFile(join(dir, 'sysctl', key.replaceAll('/', '.')), `${value}\n`);
    await writeFile(join(dir, 'mount-namespace.sh'), mountNamespaceScript(dir), { mode: 0o755 });
    // Pods resolve nothing: no cluster DNS, and no query may leave the machine.
    await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions ndots:1 attempts:1 timeout:1\n');
    await writeFile(join(dir, 'containerd.toml'), containerdConfig(dir, socket, join(dir, 'cni', 'net.d')));
    await writeFile(join(dir, 'cni', 'net.d', '10-flotilla.conflist'), cniConfig(net, join(dir, 'cni', 'ipam')));
    await writeFile(
      join(dir, 'kubelet.yaml'),
      kubeletConfig({
        nodeIP: net.nodeIP,
        caCert: join(pki, 'ca.crt'),
        cgroupRoot: `/${cgroup}`,
        resolvConf: join(dir, 'resolv.conf'),
        pluginDir: join(dir, 'volume-plugins'),
      }),
    );
    const runtimeCgroups = (await createCgroupTree(cgroup)).join(':');
    const env = { ...process.env, PATH, TMPDIR: join(dir, 'tmp') };

    // containerd: in the node's network namespace, first process of its mount namespace.
    processes.containerd = launch({
      name: 'containerd',
      command: '/bin/sh',
      cwd: dir,
      env,
      logFile: join(dir, 'containerd.log'),
      stopGraceMs: 10_000,
      args: [
        '-c',
        JOIN_CGROUP_AND_EXEC,
        'sh',
        runtimeCgroups,
        'nsenter',
        `--net=${net.netnsPath}`,
        '--',
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        join(dir, 'mount-namespace.sh'),
        'containerd',
        '--config',
        join(dir, 'containerd.toml'),
      ],
    });
    const containerdExit = exitedAsError(processes.containerd);
    const ctr = (...args: string[]) => exec('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { env });
    await poll('containerd', async () => (existsSync(socket) && (await ctr('version')) ? true : undefined), 60_000, {
      abort: containerdExit,
    });

    // scheduler (and the controllers a node needs, if the control plane lacks them) meanwhile
    processes.scheduler = launch({
      name: 'kube-scheduler',
      command: join(binDir, 'kube-scheduler'),
      cwd: dir,
      env,
      logFile: join(dir, 'kube-scheduler.log'),
      args: [`--kubeconfig=${schedulerKubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1'],
    });
    const missingControllers = NODE_CONTROLLERS.filter((c) => !plane.controllers.includes(c));
    if (missingControllers.length) {
      const kcmCert = await issueClientCertificate(pki, { name: 'controller-manager', commonName: 'system:kube-controller-manager' }, ca);
      const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
      await writeKubeconfig(kcmKubeconfig, {
        server: plane.server,
        caCert: plane.caCert,
        clientCert: kcmCert.cert,
        clientKey: kcmCert.key,
        user: 'kube-controller-manager',
      });
      processes.controllers = launch({
        name: 'kube-controller-manager (node controllers)',
        command: join(plane.binDir, 'kube-controller-manager'),
        cwd: dir,
        env,
        logFile: join(dir, 'kube-controller-manager.log'),
        args: [
          `--kubeconfig=${kcmKubeconfig}`,
          `--controllers=${missingControllers.join(',')}`,
          '--use-service-account-credentials=true',
          '--leader-elect=false',
          '--secure-port=0',
          `--root-ca-file=${plane.caCert}`,
          '--v=1',
        ],
      });
    }

    // The pause image: imported under its plain name only.
    await ctr('images', 'import', '--base-name', PAUSE_IMAGE.slice(0, PAUSE_IMAGE.lastIndexOf(':')), archive);
    const images = (await ctr('images', 'list', '--quiet')).split('\n').filter(Boolean);
    const extra = images.filter((ref) => ref !== PAUSE_IMAGE);
    if (!images.includes(PAUSE_IMAGE)) throw new Error(`ctr import did not create ${PAUSE_IMAGE} (images: ${images.join(', ')})`);
    if (extra.length) await ctr('images', 'remove', ...extra);

    // kubelet: same network and mount namespaces as containerd.
    processes.kubelet = launch({
      name: 'kubelet',
      command: '/bin/sh',
      cwd: dir,
      env,
      logFile: join(dir, 'kubelet.log'),
      stopGraceMs: 10_000,
      args: [
        '-c',
        JOIN_CGROUP_AND_EXEC,
        'sh',
        runtimeCgroups,
        'nsenter',
        `--net=${net.netnsPath}`,
        `--mount=/proc/${processes.containerd.pid}/ns/mnt`,
        '--',
        join(binDir, 'kubelet'),
        `--config=${join(dir, 'kubelet.yaml')}`,
        `--kubeconfig=${kubeconfig}`,
        `--container-runtime-endpoint=unix://${socket}`,
        `--root-dir=${join(dir, 'kubelet')}`,
        `--hostname-override=${name}`,
        `--node-ip=${net.nodeIP}`,
        `--pod-infra-container-image=${PAUSE_IMAGE}`,
        '--register-node=true',
        '--fail-swap-on=false',
        `--v=${options.kubeletVerbosity ?? 1}`,
      ],
    });

    const abort = Promise.race([containerdExit, exitedAsError(processes.kubelet), exitedAsError(processes.scheduler)]);
    // Ready, and schedulable: nodelifecycle has removed the not-ready taint.
    await poll(
      `Node ${name} Ready without the not-ready taint`,
      async () => {
        const res = await api.request<{
          spec?: { taints?: { key: string }[] };
          status?: { conditions?: { type: string; status: string }[] };
        }>('GET', `/api/v1/nodes/${name}`);
        if (res.status !== 200) return undefined;
        const ready = res.body.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        const tainted = res.body.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready');
        return ready && !tainted ? true : undefined;
      },
      options.readyTimeoutMs ?? 180_000,
      { abort },
    );

    const startMs = Date.now() - began;
    log(`node ${name} Ready in ${startMs} ms (netns ${net.netns}, node IP ${net.nodeIP}, dir ${dir})`);
    let stopping: Promise<void> | undefined;
    return {
      name,
      dir,
      netns: net.netns,
      nodeIP: net.nodeIP,
      podCIDR: net.podCIDR,
      hostInterface: net.hostInterface,
      hostIP: net.hostIP,
      cgroup,
      containerdSocket: socket,
      pauseImage: PAUSE_IMAGE,
      kubeconfig,
      startMs,
      footprint,
      stop() {
        stopping ??= (async () => {
          const t0 = Date.now();
          const problems = await teardown();
          if (problems.length) throw new Error(`node ${name} stop: ${problems.join('; ')}`);
          log(`node ${name} stopped in ${Date.now() - t0} ms`);
        })();
        return stopping;
      },
    };
  } catch (error) {
    const tails = (['kubelet', 'containerd', 'kube-scheduler'] as const)
      .filter((c) => existsSync(join(dir, `${c}.log`)))
      .map((c) => `${c}.log:\n${readLogTail(join(dir, `${c}.log`), 0, 15)}`)
      .join('\n');
    const problems = await teardown();
    throw new Error(`startNode failed: ${(error as Error).message}\n${tails}${problems.length ? `\ncleanup: ${problems.join('; ')}` : ''}`);
  }
}

/** Deletes the Node object and (at once) the pods bound to it; best effort, a few seconds at most. */
async function forgetNode(api: KubeApi, name: string): Promise<void> {
  const pods = await api.request<{ items?: { metadata: { name: string; namespace: string } }[] }>(
    'GET',
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`,
    undefined,
    3000,
  );
  await Promise.all(
    (pods.body.items ?? []).map((pod) =>
      api.request('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, { gracePeriodSeconds: 0 }, 3000),
    ),
  );
  await api.request('DELETE', `/api/v1/nodes/${name}`, undefined, 3000);
}

/** Rejects when the process exits (never unhandled: stop() makes every process exit). */
function exitedAsError(proc: ManagedProcess): Promise<never> {
  const failed = proc.exited.then((info): never => {
    throw new Error(`${proc.name} exited (${info.error?.message ?? info.signal ?? `code ${info.code}`}); see ${proc.logFile}`);
  });
  failed.catch(() => {});
  return failed;
}
