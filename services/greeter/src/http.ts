/** REST: GET /hello/:name. */
import type { HttpApp } from '@flotilla/kit';
import Type from 'typebox';
import { greet, NAME_MAX } from './domain.ts';

const Params = Type.Object({ name: Type.String({ minLength: 1, maxLength: NAME_MAX * 4 }) }, { additionalProperties: false });
const Greeting = Type.Object({ message: Type.String() }, { additionalProperties: false });

export function registerGreeterRoutes(app: HttpApp): void {
  app.get(
    '/hello/:name',
    {
      schema: { tags: ['greeter'], summary: 'Say hello', operationId: 'sayHello', params: Params, response: { 200: Greeting } },
    },
    async (request) => ({ message: greet(request.params.name) }),
  );
}
