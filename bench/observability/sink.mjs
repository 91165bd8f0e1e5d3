// A loopback OTLP/HTTP sink: accepts POST /v1/traces, counts the spans in
// the body (a walk over the protobuf, nothing decoded beyond lengths) and
// answers 200 with an empty ExportTraceServiceResponse (400 when the body
// does not parse). GET /stats answers
// {"requests","bytes","spans"} so far. Prints {"port": N} when listening and,
// on SIGTERM, the same totals as /stats before exiting.
//   node sink.mjs
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

let requests = 0;
let bytes = 0;
let spans = 0;

/** Reads a base-128 varint at `at`; returns [value, next offset]. */
function varint(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** Calls `onField(field, start, end)` for each length-delimited field of the message in buf[from, to). */
function eachBytesField(buf, from, to, onField) {
  let at = from;
  while (at < to) {
    const [key, afterKey] = varint(buf, at);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    at = afterKey;
    if (wire === 0) at = varint(buf, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, start] = varint(buf, at);
      at = start + length;
      onField(field, start, at);
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

// ExportTraceServiceRequest.resource_spans = 1 → ResourceSpans.scope_spans = 2 → ScopeSpans.spans = 2.
function countSpans(buf) {
  let count = 0;
  eachBytesField(buf, 0, buf.length, (field, start, end) => {
    if (field !== 1) return;
    eachBytesField(buf, start, end, (field, start, end) => {
      if (field !== 2) return;
      eachBytesField(buf, start, end, (field) => {
        if (field === 2) count++;
      });
    });
  });
  return count;
}

const totals = () => JSON.stringify({ requests, bytes, spans });

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(totals());
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let body = Buffer.concat(chunks);
    requests++;
    bytes += body.length;
    try {
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      spans += countSpans(body);
    } catch (error) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`not an ExportTraceServiceRequest: ${error.message}`);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => {
  process.stdout.write(`${totals()}\n`);
  process.exit(0);
});
