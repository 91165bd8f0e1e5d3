/**
 * A lock file so that two processes (two CLI runs, or a CLI and a service
 * publishing its schema) never interleave a read-check-write. Created with
 * O_EXCL; a lock whose owner process is gone is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@flotilla/core';

export async function withFileLock<T>(path: string, work: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (tryAcquire(path)) break;
    const owner = readOwner(path);
    if (ownerIsGone(owner)) {
      // Re-read just before removing so a lock freshly taken by someone else survives.
      if (readOwner(path) === owner) rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new UnavailableError(
        `config lock ${path} is held by another process (${readOwner(path)}); try again, or remove it if that process is gone`,
      );
    await sleep(delay);
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}

function tryAcquire(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid} ${hostname()}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function ownerIsGone(owner: string): boolean {
  const [pid, host] = owner.split(' ');
  if (pid === undefined || host !== hostname()) return false;
  const number = Number(pid);
  if (!Number.isInteger(number) || number <= 0) return false;
  try {
    process.kill(number, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
