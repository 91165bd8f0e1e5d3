// The reference "naive" proxy: node:http + undici.request, body piped with
// for-await, headers passed as objects. What the issue's ~74 µs figure was
// measured on; here it shows how much the gateway's hot path saves.
//   node naive-proxy.mjs PORT UPSTREAM_ORIGIN
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(upstream, { connections: 64 });
createServer(async (req, res) => {
  try {
    const answer = await pool.request({
      path: req.url.slice('/api'.length),
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
    });
    res.writeHead(answer.statusCode, answer.headers);
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  } catch {
    res.statusCode = 502;
    res.end();
  }
}).listen(port, '127.0.0.1');
