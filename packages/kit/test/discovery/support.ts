// Shared helpers of the discovery suites: polling, temp dirs, child processes,
// the shared etcd from scripts/test-services, and a TCP proxy that can cut links.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `flotilla-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The shared etcd of the test harness. Without FLOTILLA_TEST_ETCD_ENDPOINTS the
 * suite fails under `npm test` (FLOTILLA_TEST_REQUIRE_SERVICES=1) and is
 * skipped with a note in a quick local run.
 */
export function sharedEtcd(): { endpoint: string } | { skip: string } {
  const endpoint = process.env.FLOTILLA_TEST_ETCD_ENDPOINTS;
  if (endpoint !== undefined && endpoint !== '') return { endpoint: endpoint.split(',')[0]! };
  if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1')
    throw new Error(
      'FLOTILLA_TEST_ETCD_ENDPOINTS is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the test servers (scripts/test-services)',
    );
  return { skip: 'FLOTILLA_TEST_ETCD_ENDPOINTS not set (run under scripts/test-services)' };
}

export interface Child {
  process: ChildProcess;
  /** Lines the child printed on stdout. */
  lines: string[];
  exited: Promise<number | null>;
  /** Waits for a stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  kill9(): Promise<void>;
}

/** Runs a TypeScript fixture as its own Node process. */
export function spawnFixture(file: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    process: child,
    lines,
    exited,
    async line(pattern, timeoutMs = 20_000) {
      let exitCode: number | null | undefined;
      void exited.then((code) => (exitCode = code));
      return waitUntil(
        () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match !== null) return match;
          }
          if (exitCode !== undefined) throw new Error(`fixture exited (${exitCode}) before printing ${pattern}: ${stderr}`);
          return undefined;
        },
        `fixture output ${pattern}`,
        timeoutMs,
      );
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A TCP proxy in front of a server; `cut()` drops every connection and refuses new ones until `restore()`. */
export class TcpProxy {
  private readonly target: { host: string; port: number };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #up = true;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.target = target;
    this.#server = createServer((client) => {
      if (!this.#up) return void client.destroy();
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.port = (this.#server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.#up = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore(): void {
    this.#up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

export function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint);
  return { host: url.hostname, port: Number(url.port) };
}
