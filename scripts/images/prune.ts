/**
 * Which files of an installed package a running process can need. Dropped
 * everywhere: TypeScript sources and declarations, source maps, docs, tests,
 * examples, C/C++ sources and build files, editor/CI dotfiles. Kept: JavaScript,
 * JSON, .proto files, static assets, native addons for this platform, licenses.
 * A few packages ship files Node never loads (browser builds, a second module
 * format nobody here requires, an opt-in experiment): PACKAGE_DROPS lists them
 * with the reason. The image test loads every external inside the image.
 */

/** Folders dropped at a package's top level only: deeper down such names can be code (yaml's dist/doc/). */
const DROP_TOP_DIRS = new Set(['spec', 'example', 'examples', 'doc', 'docs', 'bench', 'benchmark', 'benchmarks', 'coverage', 'e2e', 'man']);
/** Folders dropped at any depth (compiled tests sit in build/test/ too). */
const DROP_DIRS = new Set(['test', 'tests', '__tests__', '.github', '.vscode', '.idea', '.bin', 'node_modules']);

const DROP_FILES = [
  /\.d\.[cm]?ts$/,
  /\.[cm]?ts$/,
  /\.tsx$/,
  /\.map$/,
  /\.tsbuildinfo$/,
  /\.(test|spec)\.[cm]?js$/,
  /\.(md|markdown|mdx)$/i,
  /^(readme|changelog|changes|history|authors|contributing|security|code_of_conduct)(\..*)?$/i,
  /^\.(npmignore|npmrc|eslintrc.*|eslintignore|prettierrc.*|prettierignore|editorconfig|travis\.yml|gitattributes|gitignore|gitmodules|nycrc.*|jshintrc|babelrc|airtap\.yml|taprc|zuul\.yml|DS_Store)$/,
  /^tsconfig.*\.json$/,
  /^(\.?jest|\.?eslint|\.?prettier|vitest|karma|rollup|webpack|babel|playwright)\.config\.[cm]?js$/,
  /\.(c|cc|cpp|cxx|h|hh|hpp|gyp|gypi|o|a)$/,
  /^Makefile$/,
  /\.flow$/,
];

/** Generic rule on a path relative to the package folder. */
export function keepFile(rel: string): boolean {
  const parts = rel.split('/');
  const file = parts[parts.length - 1]!;
  if (parts.length > 1 && DROP_TOP_DIRS.has(parts[0]!)) return false;
  if (parts.slice(0, -1).some((dir) => DROP_DIRS.has(dir))) return false;
  return !DROP_FILES.some((pattern) => pattern.test(file));
}

/** Files (relative to the package) that Node never loads here, and why. */
export const PACKAGE_DROPS: Record<string, { drop: RegExp; why: string }> = {
  '@opentelemetry/semantic-conventions': {
    drop: /^dist\/(index-incubating|experimental_)/,
    why: "only '.' is imported; './incubating' and the experimental_* files it alone loads are not (2.4 MB)",
  },
  protobufjs: { drop: /^dist\//, why: 'Node loads index.js -> src/; dist/ holds the browser builds' },
  '@fastify/swagger-ui': {
    drop: /^static\/swagger-ui\.js$/,
    why: 'the /docs page loads swagger-ui-bundle.js (lib/index-html.js); this is its unbundled twin',
  },
  '@grpc/proto-loader': { drop: /^build\/bin\//, why: 'the proto-loader-gen-types CLI (the only user of yargs)' },
  yaml: { drop: /^browser\//, why: 'exports: the "node" condition loads dist/; browser/ is for bundlers' },
  undici: { drop: /^lib\/milo\//, why: 'the experimental Milo HTTP parser, loaded only with UNDICI_USE_MILO=1' },
  'es-module-lexer': { drop: /^dist\/lexer\.(asm|minimal)/, why: "import-in-the-middle imports './', not the ./js or ./minimal builds" },
  'bignumber.js': { drop: /^bignumber\.mjs$/, why: 'its one dependent, etcd3, require()s it (bignumber.js)' },
  'sql-escaper': { drop: /^lib\/index\.mjs$/, why: 'its one dependent, mysql2, require()s it (lib/index.js)' },
  long: { drop: /^index\.js$/, why: 'protobufjs and @grpc/proto-loader require() it (umd/index.js); index.js is the ESM twin' },
  cockatiel: { drop: /^dist\/esm\//, why: 'no exports map: Node loads main (dist/index.js); dist/esm is for bundlers' },
  '@js-sdsl/ordered-map': { drop: /^dist\/(esm|umd)\//, why: 'no exports map: Node loads main (dist/cjs/index.js)' },
  'pino-pretty': { drop: /^demo\.png$/, why: 'a screenshot for its README' },
};

/** Per-package rule: a keep-list where a package is mostly not needed, else the generic rule minus PACKAGE_DROPS. */
export function packageRule(name: string, arch: 'x64' | 'arm64'): (rel: string) => boolean {
  const license = (rel: string) => /^licen[cs]e/i.test(rel);
  if (name === 'better-sqlite3') {
    // lib/ loads build/Release/better_sqlite3.node when present (scripts/native-addons.mjs
    // builds it when the prebuilt one does not load), else prebuilds/<platform>.node.
    return (rel) =>
      rel === 'package.json' ||
      license(rel) ||
      (rel.startsWith('lib/') && rel.endsWith('.js')) ||
      rel === `prebuilds/linux-${arch}.node` ||
      rel === 'build/Release/better_sqlite3.node';
  }
  if (name === 'glob') {
    // Its '.' export is dist/{commonjs,esm}/index.min.js, a bundle with minimatch,
    // minipass and path-scurry inlined (see UNUSED_DEPENDENCIES); the rest is the unbundled twin.
    return (rel) => rel === 'package.json' || license(rel) || /^dist\/(commonjs|esm)\/(index\.min\.js|package\.json)$/.test(rel);
  }
  const drops = PACKAGE_DROPS[name];
  return drops === undefined ? keepFile : (rel) => keepFile(rel) && !drops.drop.test(rel);
}

/**
 * Dependencies a package declares but loads only from files this image drops
 * (checked when the layer is built: no kept file of the package names them).
 */
export const UNUSED_DEPENDENCIES: Record<string, string[]> = {
  '@grpc/proto-loader': ['yargs'],
  glob: ['minimatch', 'minipass', 'path-scurry'],
};
