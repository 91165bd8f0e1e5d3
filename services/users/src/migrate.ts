/** `npm run migrate -w @flotilla/users`: apply pending migrations to the configured database and exit. */
import { usersService } from './service.ts';

const { applied } = await usersService.migrate();
process.stdout.write(applied.length === 0 ? 'users: database schema up to date\n' : `users: applied ${applied.join(', ')}\n`);
