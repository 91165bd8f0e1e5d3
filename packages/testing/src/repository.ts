import { join } from 'node:path';

/** The repository this package sits in (packages/testing/src or dist, two folders down). */
export const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** The services' shipped config (config/<namespace>/<service>.yaml). */
export const configDir = join(repoRoot, 'config');
