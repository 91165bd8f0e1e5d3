/** OrderService under hostile gRPC input (the checks of packages/grpc's hostile suite), on the real service and the real users. */
import { CreateOrderRequest } from '@flotilla/contracts/orders';
import { startUsers } from '@flotilla/testing';
import { describeHostileInput } from '@flotilla/testing';
import { startOrders } from './stack.ts';

describeHostileInput('orders', async () => {
  const users = await startUsers();
  const orders = await startOrders('sqlite', users.grpcAddress);
  const userId = await users.createUser('Hostile buyer');
  return {
    target: orders.grpcAddress,
    // CreateOrder writes rows: a refused call must not.
    path: '/flotilla.orders.v1.OrderService/CreateOrder',
    validRequest: () =>
      Buffer.from(
        CreateOrderRequest.encode({
          userId,
          items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1250 }],
          currency: 'EUR',
          idempotencyKey: '',
        }).finish(),
      ),
    effects: async () => (await orders.rowCounts()).orders,
    stop: async () => {
      await orders.stop();
      await users.stop();
    },
  };
});
