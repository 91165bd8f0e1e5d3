import { ordersService } from './service.js';

await ordersService.main();
