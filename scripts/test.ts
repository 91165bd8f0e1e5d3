/**
 * `npm test`: start every real server the suites need (scripts/test-services),
 * run all test files with node:test, stop the servers whatever happened; a
 * suite whose server is missing fails (FLOTILLA_TEST_REQUIRE_SERVICES=1).
 * `npm run test:unit` (`--unit`) runs only the files under a `test/unit/`
 * folder (no servers, no child processes) and starts no server.
 * Arguments without `--` keep the files whose path contains one of them.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const unit = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, found);
    else if (name.endsWith('.test.ts') && /(^|\/)test\//.test(relative(root, path))) found.push(relative(root, path));
  }
  return found;
}

const files = ['packages', 'services', 'scripts', 'test']
  .flatMap((top) => {
    try {
      return findTests(join(root, top));
    } catch {
      return [];
    }
  })
  .filter((file) => !unit || file.includes('/test/unit/'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

/**
 * Node's compile cache keeps each source file's stripped and compiled form on
 * disk: the hundreds of test and fixture processes then skip most of the work
 * of loading the kit (≈ 1.1 s → 0.7 s per process here).
 */
const compileCache =
  process.env.NODE_COMPILE_CACHE ?? join(process.env.FLOTILLA_CACHE_DIR ?? join(homedir(), '.cache', 'flotilla'), 'node-compile-cache');

function runNodeTest(env: NodeJS.ProcessEnv): Promise<number> {
  const concurrency = process.env.FLOTILLA_TEST_CONCURRENCY ?? '2';
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', '--test', `--test-concurrency=${concurrency}`, ...files], {
    cwd: root,
    env: { ...env, NODE_COMPILE_CACHE: compileCache },
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128))));
}

if (unit) {
  const env = { ...process.env };
  delete env.FLOTILLA_TEST_REQUIRE_SERVICES;
  process.exit(await runNodeTest(env));
}

const { startServices } = await import('./test-services/index.ts');
const services = await startServices({ log: (message: string) => console.error(`[test-services] ${message}`) });
let code = 1;
try {
  code = await runNodeTest({ ...process.env, ...services.env, FLOTILLA_TEST_REQUIRE_SERVICES: '1' });
} finally {
  await services.stop();
}
process.exit(code);
