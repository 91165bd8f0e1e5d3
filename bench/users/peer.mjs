// The bench peer: a bare Fastify 5 server (the same `fastify` package the
// users service runs on) with one route answering what `GET /users/:id`
// answers — same fields, same sizes, same ETag header — and nothing else: no
// schemas, hooks, logging or database. Plain JavaScript, not TypeScript, so
// its cold start is node + fastify with no TypeScript loader, like the
// service's compiled dist/main.js.
//   node bench/users/peer.mjs PORT
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? '0');

// Shaped like a seeded user (see run.ts `seedUsers`): same name/email lengths.
const template = {
  name: 'Bench User 000001',
  email: 'bench-000001@example.com',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
};

const app = Fastify({ logger: false });
app.get('/users/:id', async (request, reply) => {
  reply.header('etag', `"${template.version}"`);
  return { id: request.params.id, ...template };
});
app.get('/readyz', async () => ({ status: 'ready', checks: {} }));

await app.listen({ host: '127.0.0.1', port });
process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
