/** Wire schemas: they validate requests, type the handlers and document the API. */
import { Text } from '@flotilla/kit';
import Type, { type Static } from 'typebox';
import { NAME_MAX } from './domain.ts';

export const GreetingParams = Type.Object(
  {
    // A path parameter's length must be within what the router reads (the server refuses a route otherwise).
    name: Text({ minLength: 1, maxLength: NAME_MAX, nonBlank: true, description: 'Greeted without leading and trailing white space' }),
  },
  { additionalProperties: false },
);

export const Greeting = Type.Object({ message: Type.String() }, { $id: 'Greeting', additionalProperties: false });
export type Greeting = Static<typeof Greeting>;
