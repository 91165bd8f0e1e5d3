/**
 * The five images: one per process. Each one differs only in its top layer
 * (the bundle and the config it reads); the layers below are shared.
 */

export interface ImageSpec {
  /** Image name without the registry, e.g. flotilla/users; also the name of its folder in dist/images. */
  name: string;
  short: string;
  /** The esbuild bundle (scripts/bundle.mjs), relative to the repository root. */
  bundle: string;
  /** Service name whose config/<ns>/shared.yaml + <service>.yaml it reads; undefined: no config files. */
  configService?: string;
  ports: number[];
  description: string;
}

export const IMAGES: readonly ImageSpec[] = [
  {
    name: 'flotilla/users',
    short: 'users',
    bundle: 'services/users/dist/bundle.mjs',
    configService: 'users',
    ports: [8081, 9081],
    description: 'Flotilla users service (REST + gRPC)',
  },
  {
    name: 'flotilla/orders',
    short: 'orders',
    bundle: 'services/orders/dist/bundle.mjs',
    configService: 'orders',
    ports: [8082, 9082],
    description: 'Flotilla orders service (REST + gRPC)',
  },
  {
    name: 'flotilla/greeter',
    short: 'greeter',
    bundle: 'services/greeter/dist/bundle.mjs',
    configService: 'greeter',
    ports: [8083, 9083],
    description: 'Flotilla greeter service (REST + gRPC)',
  },
  {
    name: 'flotilla/gateway',
    short: 'gateway',
    bundle: 'packages/gateway/dist/bundle.mjs',
    configService: 'gateway',
    ports: [8080],
    description: 'Flotilla API gateway',
  },
  {
    name: 'flotilla/operator',
    short: 'operator',
    bundle: 'packages/operator/dist/bundle.mjs',
    ports: [8090],
    description: 'Flotilla Kubernetes operator',
  },
];

/** Where things live inside every image. */
export const LAYOUT = {
  node: '/usr/local/bin/node',
  app: '/app',
  bundle: '/app/bundle.mjs',
  config: '/app/config',
  home: '/var/lib/flotilla',
  user: { name: 'flotilla', uid: 65532, gid: 65532 },
} as const;

/**
 * Ship each bundle's source map and start Node with --enable-source-maps (stack
 * traces naming the TypeScript sources)? Off: a map adds about 1 MiB compressed
 * per image, which does not fit the 45 MiB target; the bundles are not
 * minified, so their stack traces stay readable.
 */
export const SOURCE_MAPS = false;

/**
 * V8 lets each semi-space (the young generation) grow to tens of MiB; at 8 MiB
 * a users service under steady load kept 175 MiB RSS instead of 266 MiB, flat
 * over ten minutes (bench/soak/README.md). The old space needs no flag: Node
 * sizes it from the container's memory limit.
 */
export const NODE_HEAP_OPTIONS = '--max-semi-space-size=8';
