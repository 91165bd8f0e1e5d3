/** `npm run migrate -w @flotilla/$name$`: apply pending migrations to the configured database and exit. */
import { $nameCamel$Service } from './service.ts';

const { applied } = await $nameCamel$Service.migrate();
process.stdout.write(applied.length === 0 ? '$name$: database schema up to date\n' : `$name$: applied ${applied.join(', ')}\n`);
