/**
 * Where the service templates live and which files a new service gets:
 * `templates/service/common/` for every service, plus `database/` (items in a
 * database of its own, the default) or `no-database/` (a stateless service).
 * Paths inside mirror the repository, so a template's path is where it goes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** packages/cli/templates/service, from src/new (running from source) or dist/new (built). */
export const SERVICE_TEMPLATES = join(import.meta.dirname, '..', '..', 'templates', 'service');

export interface TemplateFile {
  /** Relative to the repository root, placeholders not yet filled in. */
  path: string;
  text: string;
}

export function serviceTemplateFiles(database: boolean, root = SERVICE_TEMPLATES): TemplateFile[] {
  const files = new Map<string, TemplateFile>();
  for (const flavour of ['common', database ? 'database' : 'no-database']) {
    const base = join(root, flavour);
    for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      const path = relative(base, full).split(sep).join('/');
      files.set(path, { path, text: readFileSync(full, 'utf8') });
    }
  }
  return [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
}
