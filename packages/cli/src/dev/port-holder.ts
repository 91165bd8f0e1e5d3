/**
 * Which process holds a TCP port, so "port in use" can name it. Linux: the
 * socket's inode from /proc/net/tcp{,6}, then the process with a descriptor
 * on that inode; else whatever `ss -ltnp` says. Processes of other users stay
 * invisible without privileges: then only the port is known.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface PortHolder {
  pid: number;
  /** Its command line, or its name when that cannot be read. */
  command: string;
}

const LISTEN = '0A';

export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  const inodes = await socketInodes(port);
  if (inodes.size > 0) {
    const pid = await pidOwning(inodes);
    if (pid !== undefined) return { pid, command: (await commandLine(pid)) ?? '(unknown command)' };
  }
  return await fromSs(port);
}

/** Inodes of sockets bound to `port`, listening ones first. */
async function socketInodes(port: number): Promise<Set<string>> {
  const listening: string[] = [];
  const other: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      const state = columns[3];
      const inode = columns[9];
      if (local === undefined || inode === undefined || inode === '0') continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
      (state === LISTEN ? listening : other).push(inode);
    }
  }
  return new Set(listening.length > 0 ? listening : other);
}

async function pidOwning(inodes: Set<string>): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const targets = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      try {
        if (targets.has(await readlink(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

async function commandLine(pid: number): Promise<string | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const command = raw.split('\0').filter(Boolean).join(' ');
    return command === '' ? undefined : command;
  } catch {
    return undefined;
  }
}

/** `ss -ltnpH 'sport = :PORT'` → `users:(("node",pid=123,fd=20))`. */
function fromSs(port: number): Promise<PortHolder | undefined> {
  return new Promise((resolve) => {
    execFile('ss', ['-ltnpH', `sport = :${port}`], { timeout: 2_000 }, (error, stdout) => {
      const match = error === null ? /\("([^"]*)",pid=(\d+)/.exec(stdout) : null;
      if (match === null) {
        resolve(undefined);
        return;
      }
      const pid = Number(match[2]);
      void commandLine(pid).then((command) => resolve({ pid, command: command ?? (match[1] as string) }));
    });
  });
}
