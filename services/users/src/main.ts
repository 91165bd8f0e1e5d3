import { usersService } from './service.js';

await usersService.main();
