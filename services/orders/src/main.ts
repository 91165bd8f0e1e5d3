import { ordersService } from './service.ts';

await ordersService.main();
