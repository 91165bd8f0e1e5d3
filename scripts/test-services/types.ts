// The contract every test server implements. Other code builds against these
// three interfaces (kube.ts, tests, .ci/run): keep them stable.

export interface ServerContext {
  dir: string;
  log: (message: string) => void;
}

export interface RunningServer {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface TestServer {
  name: string;
  install(log: (m: string) => void): Promise<void>;
  start(ctx: ServerContext): Promise<RunningServer>;
}

/**
 * Optional extra a server may implement so that startServices() can gather the
 * Debian packages of every selected server into ONE apt-get call. install() is
 * still called afterwards (and must then find nothing left to do for apt).
 */
export interface AptNeeds {
  /** Debian packages this server needs that are not installed yet. */
  missingAptPackages(): string[];
}

export function hasAptNeeds(server: TestServer): server is TestServer & AptNeeds {
  return typeof (server as Partial<AptNeeds>).missingAptPackages === 'function';
}
