/**
 * The TypeScript of a new proto, made by the repository's own generator
 * (packages/contracts/scripts/generate.mjs: buf generate with ts-proto, the
 * descriptor set, the idempotency map) in a scratch copy of proto/ and the
 * generator, so nothing in the repository changes until every file of the new
 * service is ready. The result is what `npm run gen -w @flotilla/contracts`
 * writes once the proto is in place.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { UnavailableError } from '@flotilla/kit';

const run = promisify(execFile);

/** Files under packages/contracts/src/gen after generating with `protoText` at `protoPath` (relative to the root), by path under gen/. */
export async function generateContracts(root: string, protoPath: string, protoText: string): Promise<Map<string, string>> {
  const buf = join(root, 'node_modules', '.bin', 'buf');
  const generator = join(root, 'packages', 'contracts', 'scripts', 'generate.mjs');
  if (!existsSync(buf))
    throw new UnavailableError(`gRPC code generation needs buf (${relative(root, buf)}): run npm install, or use --no-grpc`);
  if (!existsSync(generator)) throw new UnavailableError(`gRPC code generation needs ${relative(root, generator)}; or use --no-grpc`);

  const scratch = mkdtempSync(join(tmpdir(), 'flotilla-new-contracts-'));
  try {
    const contracts = join(scratch, 'packages', 'contracts');
    cpSync(join(root, 'proto'), join(scratch, 'proto'), { recursive: true });
    mkdirSync(dirname(join(scratch, protoPath)), { recursive: true });
    writeFileSync(join(scratch, protoPath), protoText);
    mkdirSync(join(contracts, 'scripts'), { recursive: true });
    cpSync(generator, join(contracts, 'scripts', 'generate.mjs'));
    cpSync(join(root, 'packages', 'contracts', 'buf.gen.yaml'), join(contracts, 'buf.gen.yaml'));
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    try {
      await run(process.execPath, [join(contracts, 'scripts', 'generate.mjs')], { cwd: contracts, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new UnavailableError(`gRPC code generation failed (buf generate): ${stderr || (error as Error).message}`, { cause: error });
    }
    const gen = join(contracts, 'src', 'gen');
    const files = new Map<string, string>();
    for (const entry of readdirSync(gen, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      files.set(relative(gen, full).split(sep).join('/'), readFileSync(full, 'utf8'));
    }
    return files;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
