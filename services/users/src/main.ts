import { usersService } from './service.ts';

await usersService.main();
