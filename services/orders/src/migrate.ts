/** `npm run migrate -w @flotilla/orders`: apply pending migrations to the configured database and exit. */
import { ordersService } from './service.ts';

const { applied } = await ordersService.migrate();
process.stdout.write(applied.length === 0 ? 'orders: database schema up to date\n' : `orders: applied ${applied.join(', ')}\n`);
