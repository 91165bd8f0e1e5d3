/** $name$ in this process: the repository's config/dev on free ports. */
import { configDir } from '@flotilla/testing';
import { $nameCamel$Service } from '../../../src/service.ts';

export interface $Name$UnderTest {
  /** The REST API, e.g. http://127.0.0.1:PORT */
  base: string;
  grpcAddress: string; // #if grpc
  /** A graceful stop. */
  stop(): Promise<void>;
}

export async function start$Name$(): Promise<$Name$UnderTest> {
  const running = await $nameCamel$Service.start({
    configDir,
    namespace: 'dev',
    env: {
      FLOTILLA_$NAME$__HTTP__PORT: '0',
      FLOTILLA_$NAME$__GRPC__PORT: '0', // #if grpc
      FLOTILLA_$NAME$__LOG__LEVEL: 'warn',
    },
  });
  return {
    base: running.httpUrl as string,
    grpcAddress: running.grpcAddress as string, // #if grpc
    stop: () => running.stop('test finished'),
  };
}
