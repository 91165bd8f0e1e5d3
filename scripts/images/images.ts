/**
 * The five images: one per process. Each one differs only in its top layer
 * (the process's single-file executable and the config it reads); the layer
 * below is shared.
 */

export interface ImageSpec {
  /** Image name without the registry, e.g. flotilla/users; also the name of its folder in dist/images. */
  name: string;
  /** The process's name in scripts/sea/services.ts, whose executable (scripts/sea) the image runs. */
  short: string;
  /** The process's esbuild bundle (scripts/bundle.mjs): its package folder is the one scripts/sea builds from. */
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
  app: '/app',
  config: '/app/config',
  /** The executables' assets, written out at build time (FLOTILLA_SEA_ASSETS_DIR, scripts/sea/runtime.ts). */
  assets: '/app/assets',
  home: '/var/lib/flotilla',
  user: { name: 'flotilla', uid: 65532, gid: 65532 },
} as const;

/** The executable of an image: /app/<short>. */
export function executablePath(image: Pick<ImageSpec, 'short'>): string {
  return `${LAYOUT.app}/${image.short}`;
}

/**
 * V8 lets each semi-space (the young generation) grow to tens of MiB; at 8 MiB
 * a users service under steady load kept 175 MiB RSS instead of 266 MiB, flat
 * over ten minutes (bench/soak/README.md). The old space needs no flag: Node
 * sizes it from the container's memory limit. An executable reads
 * NODE_OPTIONS as node does (its command line is the application's).
 */
export const NODE_HEAP_OPTIONS = '--max-semi-space-size=8';
