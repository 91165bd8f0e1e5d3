// flotilla.orders.v1: OrderServiceService (definition), OrderServiceClient, OrderServiceServer, Order, OrderStatus, messages.
export * from './gen/flotilla/orders/v1/orders.ts';
