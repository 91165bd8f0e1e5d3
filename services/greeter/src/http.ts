/** REST: GET /hello/:name. */
import { type HttpApp, Text } from '@flotilla/kit';
import Type from 'typebox';
import { greet, NAME_MAX } from './domain.ts';

const Params = Type.Object(
  { name: Text({ minLength: 1, maxLength: NAME_MAX, nonBlank: true, description: 'Greeted without leading and trailing white space' }) },
  { additionalProperties: false },
);
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
