/**
 * Who listens on a TCP port, from /proc (Linux): the socket inodes in LISTEN
 * state in /proc/net/tcp and tcp6, then the processes holding one of them
 * among their file descriptors. Processes of other users stay hidden unless
 * the command runs as root; then the answer is "unknown".
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PortHolder {
  pid: number;
  command: string;
}

const LISTEN = '0A';
const COMMAND_MAX = 120;

export function portHolders(port: number, proc = '/proc'): PortHolder[] {
  const inodes = listeningInodes(port, proc);
  if (inodes.size === 0) return [];
  const holders: PortHolder[] = [];
  for (const entry of safeReaddir(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = safeReaddir(`${proc}/${entry}/fd`);
    const holds = fds.some((fd) => {
      const target = safeReadlink(`${proc}/${entry}/fd/${fd}`);
      return target !== undefined && inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '');
    });
    if (holds) holders.push({ pid: Number(entry), command: commandOf(proc, entry) });
  }
  return holders.sort((a, b) => a.pid - b.pid);
}

function listeningInodes(port: number, proc: string): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${proc}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      if (fields[1]?.split(':')[1] === hex && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  return inodes;
}

function commandOf(proc: string, pid: string): string {
  try {
    const command = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return command.length > COMMAND_MAX ? `${command.slice(0, COMMAND_MAX - 1)}…` : command;
  } catch {
    return '?';
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
