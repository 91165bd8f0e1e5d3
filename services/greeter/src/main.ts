import { greeterService } from './service.ts';

await greeterService.main();
