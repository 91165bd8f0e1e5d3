import { $nameCamel$Service } from './service.ts';

await $nameCamel$Service.main();
