/** GreeterService under hostile gRPC input (the checks of packages/grpc's hostile suite), on the real service. */
import { SayHelloRequest } from '@flotilla/contracts/greeter';
import { captureLogs, configDir } from '@flotilla/testing';
import { describeHostileInput } from '@flotilla/testing';
import { greeterService } from '../../src/service.ts';

describeHostileInput('greeter', async () => {
  const logs = captureLogs();
  const running = await greeterService.start({
    configDir,
    namespace: 'dev',
    logDestination: logs.stream,
    env: { FLOTILLA_GREETER__HTTP__PORT: '0', FLOTILLA_GREETER__GRPC__PORT: '0', FLOTILLA_GREETER__LOG__LEVEL: 'info' },
  });
  return {
    target: running.grpcAddress as string,
    path: '/flotilla.greeter.v1.GreeterService/SayHello',
    validRequest: () => Buffer.from(SayHelloRequest.encode({ name: 'Ada' }).finish()),
    // The greeter keeps no state: its effects are the greetings it answered, one OK call line each.
    effects: async () =>
      logs.lines.filter((line) => {
        const rpc = line.rpc as { method?: string } | undefined;
        const grpc = line.grpc as { code?: number } | undefined;
        return rpc?.method === 'SayHello' && grpc?.code === 0;
      }).length,
    stop: () => running.stop(),
  };
});
