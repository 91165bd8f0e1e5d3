/**
 * The direction of dependencies, checked by `npm test` (`npm run deps`):
 * no import cycles anywhere; each package imports only what its package.json
 * declares; packages only depend downwards, in the order of `packageLayers`
 * (core at the bottom, the kit's facade above the runtime packages, the
 * gateway, operator and services above it, the CLI and test support on top);
 * a service's domain imports none of its adapters (store, transports, clients).
 */

// Workspace packages, lowest first (a package's folder is named as the package: packages/kit is @flotilla/kit).
const packageLayers = [
  ['core', 'contracts', 'console'],
  ['kube'],
  ['config'],
  ['telemetry'],
  ['data', 'resilience', 'auth'],
  ['pipeline'],
  ['http', 'grpc'],
  ['discovery'],
  ['service'],
  ['kit'],
  ['gateway', 'operator', 'users', 'orders', 'greeter'],
  ['cli', 'testing'],
];
const packageRules = packageLayers.slice(0, -1).map((layer, index) => ({
  name: `package-layer-${index}`,
  comment: `${layer.join(', ')} may not depend on a package above it`,
  severity: 'error',
  from: { path: `^(packages|services)/(${layer.join('|')})/` },
  to: {
    path: `node_modules/@flotilla/(${packageLayers
      .slice(index + 1)
      .flat()
      .join('|')})/`,
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: break it by moving the shared part down',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'declared-dependencies',
      comment: 'a package imports something its package.json does not declare',
      severity: 'error',
      from: { path: '^(packages|services)/[^/]+/src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'through-package-names',
      comment: "another package's files are imported by its name (@flotilla/…), never by path",
      severity: 'error',
      from: { path: '^(packages|services)/([^/]+)/' },
      to: { path: '^(packages|services)/', pathNot: '^$1/$2/' },
    },
    {
      name: 'domain-owns-its-ports',
      comment: "a service's domain imports an adapter or its library: declare the port in the domain, implement it in store.ts or a client",
      severity: 'error',
      from: { path: '^services/[^/]+/src/(domain|repository)(\\.ts$|/)' },
      to: {
        path: ['^services/[^/]+/src/(store|http|grpc|users-client)\\.ts$', '(^|/)node_modules/(kysely|fastify|@fastify|@grpc)/'],
      },
    },
    ...packageRules,
  ],
  options: {
    // swc parses TypeScript and keeps type-only imports (TypeScript 7's compiler has no API for dependency-cruiser).
    parser: 'swc',
    tsPreCompilationDeps: false,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(packages|services)/[^/]+/dist/' },
    combinedDependencies: false,
    preserveSymlinks: true,
    enhancedResolveOptions: {
      conditionNames: ['@flotilla/source', 'import', 'types', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
  },
};
