/**
 * A TCP relay on loopback in front of a server, whose answers can be held
 * back: between `hold()` and `release()` whatever the server sends is kept
 * (in order) instead of reaching the client, so to the client the server is
 * slow — while the server itself has received and served the request. Bytes
 * from client to server always pass at once. Protocol-agnostic (gRPC over
 * HTTP/2 included: a held connection simply looks stalled).
 *
 *   const link = await startSlowLink('127.0.0.1:9081');
 *   // point the client at link.address
 *   link.hold(); …; link.release();
 */
import { connect, createServer, type Socket } from 'node:net';

export interface SlowLink {
  /** host:port to dial instead of the server. */
  address: string;
  /** From now on, the server's bytes wait. */
  hold(): void;
  /** Delivers what waited, then lets bytes flow again. */
  release(): void;
  close(): Promise<void>;
}

export async function startSlowLink(target: string): Promise<SlowLink> {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const sockets = new Set<Socket>();
  /** What the server sent while held, in order; `null` stands for its end of the connection. */
  const waiting: Array<{ client: Socket; chunk: Buffer | null }> = [];
  let held = false;
  const deliver = (client: Socket, chunk: Buffer | null): void => {
    if (client.destroyed) return;
    if (chunk === null) client.destroy();
    else client.write(chunk);
  };

  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side going away ends the pair, as a plain connection would.
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => (held ? waiting.push({ client, chunk }) : deliver(client, chunk)));
    upstream.on('close', () => (held ? waiting.push({ client, chunk: null }) : deliver(client, null)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };

  return {
    address: `127.0.0.1:${own}`,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const { client, chunk } of waiting.splice(0)) deliver(client, chunk);
    },
    close: async () => {
      held = false;
      waiting.length = 0;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
