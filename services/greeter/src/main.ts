import { greeterService } from './service.js';

await greeterService.main();
