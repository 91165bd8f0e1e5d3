/**
 * Asks a gRPC server which services it serves, by server reflection: one
 * `list_services` request on `ServerReflectionInfo` (v1, then v1alpha when v1
 * is not served), over a plaintext channel of its own that is closed after.
 */
import { Client, credentials, status } from '@grpc/grpc-js';
import { REFLECTION_SERVICE_NAMES } from './reflection.ts';
import { decodeListServicesResponse, encodeListServicesRequest } from './reflection-wire.ts';

export class ReflectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReflectionError';
  }
}

/** The service names `target` (`host:port`) lists, sorted; ReflectionError when it cannot tell within `timeoutMs`. */
export async function listReflectedServices(target: string, timeoutMs: number): Promise<string[]> {
  const client = new Client(target, credentials.createInsecure());
  const deadline = Date.now() + timeoutMs;
  try {
    for (const [index, service] of REFLECTION_SERVICE_NAMES.entries()) {
      try {
        return await listOnce(client, `/${service}/ServerReflectionInfo`, deadline);
      } catch (error) {
        const last = index === REFLECTION_SERVICE_NAMES.length - 1;
        if ((error as { code?: number }).code === status.UNIMPLEMENTED && !last) continue;
        throw error instanceof ReflectionError ? error : new ReflectionError((error as Error).message);
      }
    }
    throw new ReflectionError('reflection is not served');
  } finally {
    client.close();
  }
}

function listOnce(client: Client, path: string, deadline: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      path,
      (request: Buffer) => request,
      (bytes: Buffer) => decodeListServicesResponse(bytes),
      { deadline },
    );
    let settled = false;
    call.on('data', (answer: ReturnType<typeof decodeListServicesResponse>) => {
      if (settled) return;
      settled = true;
      if (answer.kind === 'services') resolve([...answer.names].sort());
      else reject(new ReflectionError(`reflection refused: ${(answer.kind === 'error' && answer.message) || 'no reason given'}`));
      call.cancel();
    });
    call.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    call.on('end', () => {
      if (!settled) reject(new ReflectionError('the server ended the stream without an answer'));
      settled = true;
    });
    call.write(encodeListServicesRequest());
    call.end();
  });
}
