// The tiny upstream both proxies forward to: a small JSON answer, keep-alive,
// nothing else. Plain JS so that no loader sits in its process.
//   node upstream.mjs PORT [DELAY_MS]
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const delayMs = Number(process.argv[3] ?? 0);
const body = Buffer.from(JSON.stringify({ hello: 'world', from: 'bench upstream' }));

const server = createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, ['content-type', 'application/json', 'content-length', String(body.length)]);
    res.end(body);
  };
  const respond = delayMs > 0 ? () => setTimeout(answer, delayMs) : answer;
  // Drain any request body before answering.
  req.on('end', respond).resume();
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
