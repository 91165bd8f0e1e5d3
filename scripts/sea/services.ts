import { join } from 'node:path';

/** The repository root (scripts/sea is two folders down). */
export const repoRoot = join(import.meta.dirname, '..', '..');

/** Where each process's compiled entry point lives (`tsc -b` output, the same input as its dist/bundle.mjs). */
export const SEA_SERVICES = {
  users: 'services/users',
  orders: 'services/orders',
  greeter: 'services/greeter',
  gateway: 'packages/gateway',
  operator: 'packages/operator',
} as const;

export type SeaServiceName = keyof typeof SEA_SERVICES;

export function isSeaService(name: string): name is SeaServiceName {
  return Object.hasOwn(SEA_SERVICES, name);
}

/**
 * What a SEA is built from: `dist`, the `tsc -b` output that dist/bundle.mjs is
 * made of (`npm run sea`), or `source`, the TypeScript sources through the
 * packages' `@flotilla/source` export condition, as the tests run them (no
 * build step, never stale).
 */
export type SeaInputKind = 'dist' | 'source';

export function entryPoint(name: SeaServiceName, from: SeaInputKind = 'dist'): string {
  // The operator's own entry exports its command, which the executable's main script cannot (operator-main.ts).
  if (name === 'operator') return join(import.meta.dirname, 'operator-main.ts');
  return from === 'dist' ? join(repoRoot, SEA_SERVICES[name], 'dist', 'main.js') : join(repoRoot, SEA_SERVICES[name], 'src', 'main.ts');
}
