/** REST routes for $name$: schemas in, domain calls out. */
import type { HttpApp } from '@flotilla/kit';
import { greet } from './domain.ts';
import { Greeting, GreetingParams } from './schemas.ts';

const tags = ['$name$'];

export function register$Name$Routes(app: HttpApp): void {
  app.get(
    '/$name$/hello/:name',
    {
      schema: { tags, summary: 'Say hello', operationId: 'sayHello', params: GreetingParams, response: { 200: Greeting } },
    },
    async (request) => ({ message: greet(request.params.name) }),
  );
}
