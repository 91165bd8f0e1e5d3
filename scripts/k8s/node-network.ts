// The test node's network: a network namespace of its own, a veth pair to the host, a
// bridge carrying the node IP, and a TCP relay that lets the kubelet reach the
// kube-apiserver (which listens on the host's 127.0.0.1 only). Addresses come from a
// "slot" N (0-254), claimed atomically by creating the host-side veth `flnode<N>`:
//
//   host namespace                          namespace flotilla-node-<pid>-<N>
//   flnode<N>   172.31.N.1/30  <── veth ──>  host0   172.31.N.2/30
//   route 10.244.N.0/24 via 172.31.N.2       flbr0   10.244.N.1/24  (bridge: node IP, pods' gateway)
//   relay 172.31.N.1:<apiserver port>        pods    10.244.N.2-254 (CNI bridge + host-local + portmap)
//     -> 127.0.0.1:<apiserver port>
//
// Nothing routes beyond: the namespace has no default route, the host does not forward,
// so traffic from the node or its pods can only reach the host and the pods.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Socket } from 'node:net';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs a command; the error names it and carries its stderr. */
export async function exec(cmd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    if (options.input === undefined) {
      return (await execFileAsync(cmd, args, { maxBuffer: 64 << 20, env: options.env })).stdout;
    }
    return await new Promise((resolve, reject) => {
      const child = execFile(cmd, args, { maxBuffer: 64 << 20, env: options.env }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
      child.stdin?.end(options.input);
    });
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

export const NETNS_PREFIX = 'flotilla-node-';
export const NETNS_DIR = '/run/netns';

export interface NodeNetwork {
  slot: number;
  /** network namespace name; its file is /run/netns/<netns> */
  netns: string;
  netnsPath: string;
  /** host end of the veth pair */
  hostInterface: string;
  hostIP: string;
  /** namespace end of the veth pair (interface host0) */
  namespaceIP: string;
  /** the bridge's address: node IP, pods' gateway, where hostPorts answer */
  nodeIP: string;
  bridge: string;
  podCIDR: string;
  /** host-local IPAM range for pods */
  podRange: { start: string; end: string };
}

export function netnsName(pid: number, slot: number): string {
  return `${NETNS_PREFIX}${pid}-${slot}`;
}

export function parseNetnsName(name: string): { pid: number; slot: number } | undefined {
  const match = /^flotilla-node-(\d+)-(\d+)$/.exec(name);
  return match ? { pid: Number(match[1]), slot: Number(match[2]) } : undefined;
}

export function addressesFor(slot: number, pid = process.pid): NodeNetwork {
  const netns = netnsName(pid, slot);
  return {
    slot,
    netns,
    netnsPath: join(NETNS_DIR, netns),
    hostInterface: `flnode${slot}`,
    hostIP: `172.31.${slot}.1`,
    namespaceIP: `172.31.${slot}.2`,
    nodeIP: `10.244.${slot}.1`,
    bridge: 'flbr0',
    podCIDR: `10.244.${slot}.0/24`,
    podRange: { start: `10.244.${slot}.2`, end: `10.244.${slot}.254` },
  };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function cidrRange(cidr: string): [number, number] {
  const [ip, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, '32'];
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4ToInt(ip!) / size) * size;
  return [start, start + size - 1];
}

function overlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

/** IPv4 prefixes the host already routes or owns (default routes excluded). */
async function hostPrefixes(): Promise<string[]> {
  const prefixes: string[] = [];
  const routes = await exec('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (const line of routes.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (
      ['local', 'broadcast', 'unicast', 'unreachable', 'blackhole', 'prohibit', 'throw', 'multicast', 'anycast', 'nat'].includes(
        words[0] ?? '',
      )
    )
      words.shift();
    const dst = words[0];
    if (dst && dst !== 'default' && /^[0-9.]+(\/\d+)?$/.test(dst)) prefixes.push(dst);
  }
  const addrs = await exec('ip', ['-4', '-o', 'addr', 'show']);
  for (const match of addrs.matchAll(/inet ([0-9.]+\/\d+)/g)) prefixes.push(match[1]!);
  return prefixes;
}

/** Serialises `ip netns add` and the removal of an empty /run/netns among flotilla nodes. */
async function underNetnsLock(body: string, args: string[] = []): Promise<string> {
  const cache = process.env.FLOTILLA_CACHE_DIR ?? join(homedir(), '.cache', 'flotilla');
  await mkdir(cache, { recursive: true });
  return await exec('flock', ['-w', '60', join(cache, 'node-netns.lock'), 'sh', '-ec', body, 'sh', ...args]);
}

/** Claims a free slot and builds the namespace, veth pair, bridge and host route. */
export async function createNodeNetwork(log: (m: string) => void): Promise<NodeNetwork> {
  const taken = await hostPrefixes();
  let net: NodeNetwork | undefined;
  for (let slot = 0; slot < 255 && !net; slot += 1) {
    const candidate = addressesFor(slot);
    if (taken.some((p) => overlaps(p, `172.31.${slot}.0/30`) || overlaps(p, candidate.podCIDR))) continue;
    try {
      // Creating the link is the atomic claim: a parallel node gets "File exists".
      await exec('ip', ['link', 'add', candidate.hostInterface, 'type', 'veth', 'peer', 'name', `${candidate.hostInterface}p`]);
      net = candidate;
    } catch (error) {
      if (!/File exists/.test((error as Error).message)) throw error;
    }
  }
  if (!net) throw new Error('no free node network slot (172.31.N.0/30 + 10.244.N.0/24, N < 255)');
  try {
    await underNetnsLock('ip netns add "$1"', [net.netns]);
    await exec('ip', ['link', 'set', `${net.hostInterface}p`, 'netns', net.netns]);
    await exec('ip', ['-n', net.netns, '-batch', '-'], {
      input: [
        'link set lo up',
        `link set ${net.hostInterface}p name host0`,
        `addr add ${net.namespaceIP}/30 dev host0`,
        'link set host0 up',
        `link add ${net.bridge} type bridge`,
        `addr add ${net.nodeIP}/24 dev ${net.bridge}`,
        `link set ${net.bridge} up`,
        '',
      ].join('\n'),
    });
    // Routing between host0 and the bridge (hostPorts, pod IPs from the host); the
    // setting belongs to the namespace.
    await exec('nsenter', [`--net=${net.netnsPath}`, '--', 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    await exec('ip', ['-batch', '-'], {
      input: [
        `addr add ${net.hostIP}/30 dev ${net.hostInterface}`,
        `link set ${net.hostInterface} up`,
        `route add ${net.podCIDR} via ${net.namespaceIP} dev ${net.hostInterface} src ${net.hostIP}`,
        '',
      ].join('\n'),
    });
  } catch (error) {
    await deleteNodeNetwork(net, log);
    throw error;
  }
  log(`network namespace ${net.netns}: node IP ${net.nodeIP}, veth ${net.hostInterface} ${net.hostIP} <-> ${net.namespaceIP}`);
  return net;
}

/**
 * Deletes the namespace (with it its veth end, bridge, pod veths and every iptables rule
 * made inside), the host veth (and its route), and /run/netns once it is empty.
 */
export async function deleteNodeNetwork(net: Pick<NodeNetwork, 'netns' | 'hostInterface'>, log: (m: string) => void): Promise<void> {
  await exec('ip', ['link', 'del', net.hostInterface]).catch(() => {});
  // `ip netns add` made /run/netns a mount point; drop it when no namespace is left, so
  // nothing remains in /proc/mounts.
  await underNetnsLock(
    `
    if [ -e "${NETNS_DIR}/$1" ]; then ip netns del "$1"; fi
    if [ -d ${NETNS_DIR} ] && [ -z "$(ls -A ${NETNS_DIR})" ]; then
      if grep -q " ${NETNS_DIR} " /proc/self/mounts; then umount ${NETNS_DIR}; fi
      rmdir ${NETNS_DIR}
    fi`,
    [net.netns],
  ).catch((error: Error) => log(`removing ${net.netns}: ${error.message}`));
}

/** Names of the flotilla node namespaces on this machine. */
export function listNodeNamespaces(): string[] {
  if (!existsSync(NETNS_DIR)) return [];
  return readdirSync(NETNS_DIR).filter((name) => parseNetnsName(name) !== undefined);
}

export interface HostRelay {
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Relays TCP from the host end of the veth (`hostIP:port`) to a server listening on
 * 127.0.0.1:port: the apiserver for the kubelet and Pods, or a test's database. Only
 * peers inside the node's namespace (its veth address and its pods) are served.
 */
export async function startHostRelay(net: Pick<NodeNetwork, 'hostIP' | 'namespaceIP' | 'podCIDR'>, port: number): Promise<HostRelay> {
  const sockets = new Set<Socket>();
  const [podStart, podEnd] = cidrRange(net.podCIDR);
  const allowed = (address: string | undefined) => {
    const ip = address?.replace(/^::ffff:/, '');
    if (!ip || !/^[0-9.]+$/.test(ip)) return false;
    const n = ipv4ToInt(ip);
    return ip === net.namespaceIP || (n >= podStart && n <= podEnd);
  };
  const server = createServer((downstream) => {
    if (!allowed(downstream.remoteAddress)) {
      downstream.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port });
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: net.hostIP, port }, () => resolve());
  });
  return {
    address: net.hostIP,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
