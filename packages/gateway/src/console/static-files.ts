/**
 * The console's files on disk: which file a path under `/console/` names
 * (only plain names inside the built folder: no dot segments, no hidden
 * files), its media type, and how long a browser may keep it.
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** A segment of a served path: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export interface StaticFile {
  body: Buffer;
  mediaType: string;
  cacheControl: string;
}

/** Content-hashed names (Vite's `assets/<name>-<hash>.<ext>`) never change content: a year, immutable. */
const HASHED = 'public, max-age=31536000, immutable';
/** Everything else (index.html above all) is checked with the gateway on every use, so a new build shows at once. */
const REVALIDATE = 'no-cache';

/** The file at `path` (relative, '/'-separated, already URL-decoded) under `root`, or undefined. */
export async function readStaticFile(root: string, path: string, hashedFolder: string): Promise<StaticFile | undefined> {
  const segments = path.split('/');
  if (segments.length === 0 || !segments.every((segment) => SEGMENT.test(segment))) return undefined;
  const mediaType = MEDIA_TYPES[extname(path).toLowerCase()];
  if (mediaType === undefined) return undefined;
  let body: Buffer;
  try {
    body = await readFile(join(root, ...segments));
  } catch {
    return undefined; // absent, or a folder
  }
  return { body, mediaType, cacheControl: segments.length > 1 && segments[0] === hashedFolder ? HASHED : REVALIDATE };
}
