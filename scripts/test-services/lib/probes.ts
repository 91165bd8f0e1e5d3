// Readiness probes that do real work against each kind of server.
import { connect } from 'node:net';

/** Sends an inline PING and expects +PONG (redis speaks this without a client library). */
export function redisPing(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) {
        clearTimeout(timer);
        socket.end();
        if (answer.startsWith('+PONG')) resolve(true);
        else reject(new Error(`PING answered ${JSON.stringify(answer.trim())}`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** GET url, true on 200 (and, if given, when the body passes `accept`). */
export async function httpOk(url: string, accept?: (body: string) => boolean, timeoutMs = 2000): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 200)}`);
  return accept ? accept(body) : true;
}
