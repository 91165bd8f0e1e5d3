// #if grpc
/** gRPC $Name$Service: the same domain calls as the REST routes, validated with the same schemas. */
import type { $Name$ServiceServer, Item as WireItem } from '@flotilla/contracts/$name$';
import { unary } from '@flotilla/grpc';
import { compileChecker, type FieldViolation, ValidationError } from '@flotilla/kit';
import type { $Name$Domain } from './domain.ts';
import type { ItemRecord } from './repository.ts';
import { ItemId, ItemInput } from './schemas.ts';

const checkId = compileChecker(ItemId);
const checkInput = compileChecker(ItemInput);

export function $nameCamel$Implementation(items: $Name$Domain): $Name$ServiceServer {
  return {
    getItem: unary(async ({ id }) => {
      validate(checkId, id, 'id');
      return { item: toMessage(await items.get(id)) };
    }),
    createItem: unary(async ({ name }) => {
      validate(checkInput, { name }, '');
      return { item: toMessage(await items.create({ name })) };
    }),
  };
}

function validate(checker: ReturnType<typeof compileChecker>, value: unknown, root: string): void {
  if (checker.check(value)) return;
  const violations: FieldViolation[] = checker
    .problems(value)
    .map((p) => ({ field: [root, ...p.path].filter(Boolean).join('.'), rule: p.rule, message: p.message }));
  throw new ValidationError(violations);
}

function toMessage(item: ItemRecord): WireItem {
  return { id: item.id, name: item.name, createTime: item.createdAt, updateTime: item.updatedAt, version: item.version };
}
// #endif
