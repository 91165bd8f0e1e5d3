// A loopback OTLP/HTTP sink: accepts POST /v1/traces, reads and discards the
// body, answers an empty ExportTraceServiceResponse. Prints {"port": N} when
// listening and, on SIGTERM, {"requests": N, "bytes": N} before exiting.
import { createServer } from 'node:http';

let requests = 0;
let bytes = 0;
const server = createServer((request, response) => {
  request.on('data', (chunk) => (bytes += chunk.length));
  request.on('end', () => {
    requests++;
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ requests, bytes })}\n`);
  process.exit(0);
});
