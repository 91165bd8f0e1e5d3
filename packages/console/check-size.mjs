// The console's size budget: the JavaScript of the build (dist/static), gzipped,
// at most 150 KB in total. Prints each file and the total; exits 1 above the
// budget or when there is no build. Run by the console's tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 150 * 1024;

const root = join(import.meta.dirname, 'dist', 'static');

function scripts(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return scripts(path);
    return /\.m?js$/.test(entry.name) ? [path] : [];
  });
}

if (!existsSync(join(root, 'index.html'))) {
  console.error(`console size: no build in ${root}; run node packages/console/build.mjs (or npm run build) first`);
  process.exit(1);
}
let total = 0;
for (const file of scripts(root).sort()) {
  const gzipped = gzipSync(readFileSync(file), { level: 9 }).length;
  total += gzipped;
  console.log(`${relative(root, file)}\t${(gzipped / 1024).toFixed(1)} KB gzipped`);
}
const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER';
console.log(`total JavaScript: ${(total / 1024).toFixed(1)} KB gzipped, ${verdict} the budget of ${BUDGET_BYTES / 1024} KB`);
if (total > BUDGET_BYTES) process.exit(1);
