/**
 * The tutorial names the dev ports (the gateway on 8080, …) as a reader sees
 * them. Here every listener of config/dev gets a free port instead, moved
 * there by the services' own overrides (FLOTILLA_<SERVICE>__HTTP__PORT), and
 * a command's `127.0.0.1:<dev port>` is rewritten to match; so the tutorial
 * runs beside anything else on this machine. Nothing else in a command changes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { envPrefix, loadConfig, SHARED_DOCUMENT } from '@flotilla/kit';
import { freePort } from '@flotilla/testing';

type Schema = Parameters<typeof loadConfig>[0]['schema'];
const ANY_DOCUMENT = { type: 'object' } as unknown as Schema;
const PROTOCOLS = ['http', 'grpc'] as const;

export class DevPorts {
  /** Free port by listener (`users.http`), kept for the whole run. */
  private readonly free = new Map<string, number>();
  /** Listener by dev port, as config/dev says today. */
  private byDevPort = new Map<number, string>();
  private readonly root: string;
  private tracesPort = 0;

  constructor(root: string) {
    this.root = root;
  }

  /** Reads config/dev again (a scaffolded service brings its own ports) and gives new listeners a free port. */
  async refresh(): Promise<void> {
    if (this.tracesPort === 0) this.tracesPort = await freePort();
    const dir = join(this.root, 'config', 'dev');
    const byDevPort = new Map<number, string>();
    const taken = new Set(this.free.values());
    for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
      if (!file.endsWith('.yaml') || file === `${SHARED_DOCUMENT}.yaml`) continue;
      const service = file.slice(0, -'.yaml'.length);
      const { value } = loadConfig({ service, schema: ANY_DOCUMENT, namespace: 'dev', dir: join(this.root, 'config'), env: {} });
      for (const protocol of PROTOCOLS) {
        const port = (value as Record<string, { port?: unknown } | undefined>)[protocol]?.port;
        if (typeof port !== 'number' || port === 0) continue;
        const listener = `${service}.${protocol}`;
        byDevPort.set(port, listener);
        if (!this.free.has(listener)) {
          let chosen = await freePort();
          while (taken.has(chosen)) chosen = await freePort();
          taken.add(chosen);
          this.free.set(listener, chosen);
        }
      }
    }
    this.byDevPort = byDevPort;
  }

  /** FLOTILLA_<SERVICE>__<PROTOCOL>__PORT for every listener known so far, and flotilla dev's trace collector's. */
  env(): Record<string, string> {
    const env: Record<string, string> = { FLOTILLA_DEV_TRACES_PORT: String(this.tracesPort) };
    for (const [listener, port] of this.free) {
      const [service, protocol] = listener.split('.') as [string, string];
      env[`${envPrefix(service)}${protocol.toUpperCase()}__PORT`] = String(port);
    }
    return env;
  }

  /** The command with each `127.0.0.1:<dev port>` (or `localhost:`) pointing at that listener's free port. */
  rewrite(command: string): string {
    return command.replace(/\b(127\.0\.0\.1|localhost):(\d+)\b/g, (whole, host: string, port: string) => {
      const listener = this.byDevPort.get(Number(port));
      const free = listener === undefined ? undefined : this.free.get(listener);
      return free === undefined ? whole : `${host}:${free}`;
    });
  }

  /** The port a listener (`inventory.http`) runs on here. */
  portOf(listener: string): number | undefined {
    return this.free.get(listener);
  }
}
