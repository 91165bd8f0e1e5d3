/** Wire schemas: they validate requests, type the handlers and document the API. */
import Type, { type Static } from 'typebox';
import { NAME_MAX } from './domain.ts';

export const GreetingParams = Type.Object(
  {
    // The trimmed length is checked by the domain; the schema bounds what is read at all.
    name: Type.String({ minLength: 1, maxLength: NAME_MAX * 4, description: `1–${NAME_MAX} characters after trimming` }),
  },
  { additionalProperties: false },
);

export const Greeting = Type.Object({ message: Type.String() }, { $id: 'Greeting', additionalProperties: false });
export type Greeting = Static<typeof Greeting>;
