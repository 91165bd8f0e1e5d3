/**
 * A worker leaving a group whose other workers go on serving: its clients
 * should move to them without a failed request. So, before the usual drain
 * (which answers late requests with 503 and closes idle connections, right
 * when the whole instance goes away):
 *
 * 1. it stops taking connections: only the listening side closes (the plain
 *    `net.Server#close`, not the HTTP server's, which would also cut idle
 *    keep-alive connections a client may be writing to right now); the
 *    primary hands new connections to the other workers, and one already on
 *    its way here is handed back and passed on;
 * 2. every answer it still gives carries `Connection: close`, so each client
 *    reconnects, to another worker, after its next response;
 * 3. it waits until those connections are gone, or until none has carried a
 *    request for a moment (idle clients: closing theirs is what a keep-alive
 *    timeout does anyway), bounded by `boundMs`.
 */
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';

/** Connections that carried nothing for this long belong to idle clients. */
const SETTLE_MS = 500;
const POLL_MS = 25;

export async function quiesce(server: Server, boundMs: number): Promise<void> {
  let lastRequestAt = performance.now();
  server.prependListener('request', (_request, response) => {
    response.shouldKeepAlive = false;
    lastRequestAt = performance.now();
  });
  const startedAt = performance.now();
  let allClosed = false;
  if (server.listening) {
    // The callback runs once the listener is closed and every connection has ended.
    NetServer.prototype.close.call(server, () => {
      allClosed = true;
    });
  } else {
    allClosed = true;
  }
  while (!allClosed) {
    const now = performance.now();
    if (now - lastRequestAt >= SETTLE_MS || now - startedAt >= boundMs) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
