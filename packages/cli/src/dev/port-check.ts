/**
 * Before anything starts: every port the system needs can be bound now, and
 * no two processes are configured on the same one. A port held by a
 * leftover process fails here, naming that process, instead of one service
 * after another crashing on EADDRINUSE.
 */
import { createServer } from 'node:net';
import { UnavailableError } from '@flotilla/core';
import { envPrefix } from '@flotilla/kit';
import type { Listener, ProcessListeners } from './listeners.ts';
import { findPortHolder } from './port-holder.ts';

export async function checkPorts(processes: ProcessListeners[]): Promise<void> {
  const problems: string[] = [];
  const movable: string[] = [];
  const seen = new Map<number, string>();
  const wanted: Array<{ owner: string; variable: string; listener: Listener }> = [];
  for (const { spec, http, grpc } of processes) {
    for (const listener of grpc === undefined ? [http] : [http, grpc]) {
      const owner = `${spec.name} ${listener.protocol}`;
      const variable = `${envPrefix(spec.name)}${listener.protocol.toUpperCase()}__PORT`;
      if (listener.port === 0) continue; // any free port: nothing to check
      const other = seen.get(listener.port);
      if (other !== undefined) {
        problems.push(`port ${listener.port} is configured for both ${other} and ${owner}`);
        movable.push(variable);
      } else {
        seen.set(listener.port, owner);
        wanted.push({ owner, variable, listener });
      }
    }
  }
  for (const { owner, variable, listener } of wanted) {
    const code = await bindError(listener);
    if (code === undefined) continue;
    movable.push(variable);
    const where = `port ${listener.port} (${owner} on ${listener.host})`;
    if (code !== 'EADDRINUSE') {
      problems.push(`${where} cannot be listened on: ${code}`);
      continue;
    }
    const holder = await findPortHolder(listener.port);
    problems.push(
      holder === undefined
        ? `${where} is in use by a process this user cannot see`
        : `${where} is in use by pid ${holder.pid}: ${holder.command}`,
    );
  }
  if (problems.length > 0) {
    throw new UnavailableError(
      [
        'cannot start, a port is not available:',
        ...problems.map((p) => `  ${p}`),
        `Stop that process, or move the service to another port (${movable[0]}=<port>).`,
      ].join('\n'),
      { details: { problems } },
    );
  }
}

/** Undefined when `host:port` can be listened on (and is released again at once). */
function bindError(listener: Listener): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: listener.host, port: listener.port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
