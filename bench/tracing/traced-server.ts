/**
 * A tiny HTTP server that makes the workload's spans (workload.ts) for every
 * request on one pipeline, then answers a small JSON body: the per-request
 * view of http.ts, where tracing runs between socket and HTTP work as in a
 * service. Prints {"port": N} when listening; on SIGTERM flushes, prints
 * {"sampled": N} (spans sampled, all to be exported) and exits.
 *
 *   node --conditions=@flotilla/source bench/tracing/traced-server.ts --pipeline kit|sdk|none [--endpoint URL] [--ratio 1]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { PIPELINES, startPipeline, type PipelineName } from './pipelines.ts';
import { tracedRequest } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    pipeline: { type: 'string' },
    endpoint: { type: 'string', default: '' },
    ratio: { type: 'string', default: '1' },
  },
});
const name = args.pipeline as PipelineName;
if (!PIPELINES.includes(name)) throw new Error(`--pipeline must be one of ${PIPELINES.join(', ')}`);

const pipeline = await startPipeline(name, args.endpoint, Number(args.ratio));
const body = Buffer.from(JSON.stringify({ id: 'ada', name: 'Ada Lovelace' }));
let served = 0;
let sampled = 0;
const server = createServer((request, response) => {
  sampled += tracedRequest(pipeline.tracer, served++);
  response.writeHead(200, ['content-type', 'application/json', 'content-length', String(body.length)]);
  response.end(body);
  request.resume();
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pipeline.shutdown().then(() => {
    process.stdout.write(`${JSON.stringify({ sampled })}\n`);
    process.exit(0);
  });
});
