/**
 * Lingering close, as nginx does it: when an answer closes the connection
 * while the client is still sending a body the server will not read (too
 * large to drain), closing the socket at once makes the kernel reset the
 * connection on the unread bytes, and the client may lose the answer it was
 * sent. Instead the server sends its FIN after the answer, keeps reading and
 * dropping what still arrives, and closes when the client does or after a
 * short, bounded wait.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The longest a closing connection is kept to drop what the client still sends. */
export const LINGER_MS = 2_000;

/** For a request with a body: if its answer closes the connection before the body is read, linger. */
export function lingerIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return;
  // 'prefinish' comes before Node's own 'finish' handler, which is where it closes the socket.
  res.once('prefinish', () => {
    if (!req.complete) (req.socket as Socket).destroySoon = lingeringDestroySoon;
  });
}

// Node's http server calls socket.destroySoon() after an answer that closes the connection.
function lingeringDestroySoon(this: Socket): void {
  if (this.destroyed) return;
  this.end(); // FIN once the answer is written; reading goes on and Node's parser drops the body
  const timer = setTimeout(() => this.destroy(), LINGER_MS);
  timer.unref();
  this.once('end', () => this.destroy());
  this.once('close', () => clearTimeout(timer));
}
