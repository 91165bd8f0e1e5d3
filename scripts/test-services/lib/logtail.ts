import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `lines` lines written to logFile after byte `fromOffset`, for error messages. */
export function readLogTail(logFile: string, fromOffset = 0, lines = 25): string {
  let fd: number;
  try {
    fd = openSync(logFile, 'r');
  } catch {
    return `(no log file ${logFile})`;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(fromOffset, size - 16_384);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8').trimEnd();
    if (text === '') return '(log is empty)';
    return text
      .split('\n')
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join('\n');
  } finally {
    closeSync(fd);
  }
}
