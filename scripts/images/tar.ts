/**
 * A deterministic tar writer (POSIX ustar, with PAX headers for long paths):
 * every header field comes from the entry (path, type, mode, uid/gid) or from
 * the one mtime given for the whole archive; nothing is read from the host's
 * clock, user database or file metadata. Entries are written in the order
 * given (callers sort them with `sortEntries`).
 */
import { readFileSync } from 'node:fs';

export interface TarEntry {
  /** Path inside the archive, relative, '/'-separated, no leading or trailing slash. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits, e.g. 0o755. */
  mode: number;
  uid: number;
  gid: number;
  /** File contents, given directly ... */
  data?: Buffer;
  /** ... or read from this host path when the archive is written. */
  source?: string;
  /** Symlink target. */
  target?: string;
}

const BLOCK = 512;

/** Orders entries as `tar --sort=name` does: by path component, parents before children. */
export function sortEntries(entries: TarEntry[]): TarEntry[] {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.path)) throw new Error(`tar: duplicate entry ${entry.path}`);
    seen.add(entry.path);
  }
  return [...entries].sort((a, b) => comparePaths(a.path, b.path));
}

function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = Buffer.from(pa[i]!);
    const y = Buffer.from(pb[i]!);
    const c = Buffer.compare(x, y);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** The whole archive in memory: headers, contents, and the two zero blocks that end it. */
export function writeTar(entries: readonly TarEntry[], mtime: number): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    checkPath(entry.path);
    const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
    const data = entry.type === 'file' ? (entry.data ?? readFileSync(requireSource(entry))) : Buffer.alloc(0);
    const linkname = entry.type === 'symlink' ? (entry.target ?? '') : '';
    const split = splitUstarName(name);
    const pax: Record<string, string> = {};
    if (split === undefined) pax.path = name;
    if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
    if (Object.keys(pax).length > 0) {
      const body = paxBody(pax);
      const paxName = `PaxHeaders/${basename(entry.path)}`.slice(0, 100);
      chunks.push(
        header({ name: paxName, prefix: '', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, type: 'x', linkname: '' }),
        pad(body),
      );
    }
    const typeFlag = entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2';
    const fallback = split ?? { prefix: '', name: Buffer.from(name).subarray(0, 100).toString() };
    chunks.push(
      header({
        ...fallback,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size: data.length,
        mtime,
        type: typeFlag,
        linkname: linkname.slice(0, 100),
      }),
    );
    if (data.length > 0) chunks.push(pad(data));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}

function requireSource(entry: TarEntry): string {
  if (entry.source === undefined) throw new Error(`tar: file entry ${entry.path} has neither data nor source`);
  return entry.source;
}

function checkPath(path: string): void {
  if (
    path === '' ||
    path.startsWith('/') ||
    path.endsWith('/') ||
    path.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new Error(`tar: bad entry path ${JSON.stringify(path)}`);
  }
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** ustar keeps up to 155 bytes of directories in `prefix` and 100 bytes in `name`. */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  for (let i = trimmed.indexOf('/'); i !== -1; i = trimmed.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  return undefined;
}

/** PAX records: "<length> <key>=<value>\n", where length counts the whole record. */
function paxBody(records: Record<string, string>): Buffer {
  const lines = Object.keys(records)
    .sort()
    .map((key) => {
      const rest = ` ${key}=${records[key]}\n`;
      let length = Buffer.byteLength(rest);
      while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
      return `${length}${rest}`;
    });
  return Buffer.from(lines.join(''));
}

interface Header {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
}

function header(h: Header): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, 'utf8');
  octal(block, 100, 8, h.mode);
  octal(block, 108, 8, h.uid);
  octal(block, 116, 8, h.gid);
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, h.mtime);
  block.fill(0x20, 148, 156); // checksum counted as spaces
  block.write(h.type, 156, 1, 'ascii');
  block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'binary');
  // uname/gname stay empty: ownership is numeric only.
  octal(block, 329, 8, 0);
  octal(block, 337, 8, 0);
  block.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'binary');
  return block;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: value ${value} does not fit ${width} bytes`);
  block.write(`${digits.padStart(width - 1, '0')}\u0000`, offset, width, 'binary');
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}
