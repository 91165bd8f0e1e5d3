/**
 * Fastify's schema compilers, deferred to each route's first use. Fastify
 * builds a response serializer (fast-json-stringify: code generation, then
 * compiling that code) for every route and status before it listens, about a
 * tenth of a service's start-up; most routes answer nothing before the
 * service is ready, so each serializer is built on the route's first
 * response instead, exactly as Fastify would have built it.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';
import type { TSchema } from 'typebox';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = (payload: unknown) => string;

/** Fastify's default serializer factory, each serializer built when first called. */
export function lazySerializerFactory(): SerializerFactory {
  const eager = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = eager(externalSchemas, options);
    return (route) => {
      let serialize: Serializer | undefined;
      return (payload) => {
        serialize ??= compile(route);
        return serialize(payload);
      };
    };
  };
}

/**
 * The server option that hands Fastify our compilers from the start: the
 * validator is TypeBox's (so Fastify never loads Ajv's compiler just to set
 * it aside) and the serializers are built lazily.
 */
export function schemaCompilers(validator: FastifySchemaCompiler<TSchema>): FastifyServerOptions['schemaController'] {
  type ValidatorFactory = NonNullable<
    NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
  >;
  return {
    compilersFactory: {
      // Fastify's factory type is Ajv's; what it returns is used as any validator compiler.
      buildValidator: (() => validator) as unknown as ValidatorFactory,
      buildSerializer: lazySerializerFactory(),
    },
  };
}
