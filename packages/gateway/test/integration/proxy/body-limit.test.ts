/**
 * The gateway bounds request bodies per route: a declared Content-Length over
 * the route's limit is answered 413 by the gateway itself, and the upstream
 * never sees the request; within the limit the body goes through.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GatewayUnderTest, startGateway } from '../support/gateway.ts';
import { send, startUpstream, type Upstream } from '../support/http.ts';

let upstream: Upstream;
let gateway: GatewayUnderTest;
let upstreamRequests = 0;

before(async () => {
  upstream = await startUpstream((req, res) => {
    upstreamRequests++;
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bytes }));
    });
  });
  gateway = await startGateway(`upstreams:
  files: { instances: ['${upstream.url}'] }
proxy: { bodyLimitBytes: 1000 }
routes:
  - { name: small, path: /api/small/**, upstream: files, stripPrefix: /api }
  - { name: large, path: /api/large/**, upstream: files, stripPrefix: /api, bodyLimitBytes: 100000 }
`);
});

after(async () => {
  await gateway?.stop();
  await upstream?.close();
});

test('a declared body over the default limit is a 413 problem from the gateway, the upstream untouched', async () => {
  const before = upstreamRequests;
  const answer = await send(`${gateway.url}/api/small/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1001),
  });
  assert.equal(answer.status, 413);
  assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
  assert.equal(answer.json().type, 'https://flotilla.dev/problems/payload-too-large');
  assert.equal(answer.headers.connection, 'close');
  assert.equal(upstreamRequests, before);
});

test('within the limit, and on a route with its own larger limit, the body is forwarded whole', async () => {
  const small = await send(`${gateway.url}/api/small/upload`, { method: 'POST', body: Buffer.alloc(1000) });
  assert.equal(small.status, 200);
  assert.deepEqual(small.json(), { bytes: 1000 });
  const large = await send(`${gateway.url}/api/large/upload`, { method: 'POST', body: Buffer.alloc(50_000) });
  assert.equal(large.status, 200);
  assert.deepEqual(large.json(), { bytes: 50_000 });
});

test('a body eight times the limit still gets its 413 (the gateway lingers rather than resetting)', async () => {
  const answer = await send(`${gateway.url}/api/large/upload`, { method: 'POST', body: Buffer.alloc(800_000) });
  assert.equal(answer.status, 413);
});
