/**
 * The local registry's on-disk format: one JSON file per instance at
 * `<root>/<namespace>/<service>/<instance-id>.json`, rewritten atomically
 * (temp file + rename) on every heartbeat, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseInstance } from '../instance.ts';
import type { Instance } from '../types.ts';

export interface EntryFile {
  instance: Instance;
  /** Epoch ms of the last heartbeat. */
  heartbeatAt: number;
  /** The entry is dead once heartbeatAt + ttlMs has passed. */
  ttlMs: number;
  pid: number;
  host: string;
}

export function serviceDir(root: string, namespace: string, service: string): string {
  return join(root, namespace, service);
}

export function entryPath(root: string, namespace: string, instance: Pick<Instance, 'service' | 'id'>): string {
  return join(serviceDir(root, namespace, instance.service), `${instance.id}.json`);
}

export async function writeEntry(path: string, dir: string, entry: EntryFile): Promise<void> {
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const body = `${JSON.stringify(entry)}\n`;
  try {
    await writeFile(temp, body, { mode: 0o644 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true }); // the directory was removed under us
    await writeFile(temp, body, { mode: 0o644 });
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

export async function readEntry(path: string): Promise<EntryFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined; // removed between readdir and read
  }
  try {
    const raw = JSON.parse(text) as Partial<EntryFile>;
    if (typeof raw.heartbeatAt !== 'number' || typeof raw.ttlMs !== 'number') return undefined;
    return {
      instance: parseInstance(raw.instance),
      heartbeatAt: raw.heartbeatAt,
      ttlMs: raw.ttlMs,
      pid: typeof raw.pid === 'number' ? raw.pid : 0,
      host: typeof raw.host === 'string' ? raw.host : '',
    };
  } catch {
    return undefined; // not ours, or corrupt: ignored rather than fatal
  }
}

/** Names of the entry files in a directory (temp files and strays skipped); [] when it does not exist. */
export async function listEntryFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  } catch {
    return [];
  }
}

export async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
}

// Read when first needed, not when the module loads: an executable's start-up snapshot would keep the build machine's name.
let thisHost: string | undefined;

function hostName(): string {
  thisHost ??= hostname();
  return thisHost;
}

/** A process on this host that no longer exists; entries from other hosts are only judged by their TTL. */
function processGone(entry: EntryFile): boolean {
  if (entry.host !== hostName() || entry.pid <= 0) return false;
  try {
    process.kill(entry.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export type Liveness = 'alive' | 'expired' | 'process-gone';

export function liveness(entry: EntryFile, now: number, checkPids: boolean): Liveness {
  if (entry.heartbeatAt + entry.ttlMs < now) return 'expired';
  if (checkPids && processGone(entry)) return 'process-gone';
  return 'alive';
}
