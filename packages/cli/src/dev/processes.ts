/** What `flotilla dev` runs: one entry per process, in start order. */
export interface ProcessSpec {
  name: string;
  /** Bundled entry point (scripts/bundle.mjs), relative to the repository root. */
  entry: string;
  /** Where it answers `/readyz` once started (from config/dev). */
  url: string;
}

export const DEV_PROCESSES: ProcessSpec[] = [
  { name: 'greeter', entry: 'services/greeter/dist/bundle.mjs', url: 'http://127.0.0.1:8083' },
  { name: 'users', entry: 'services/users/dist/bundle.mjs', url: 'http://127.0.0.1:8081' },
  { name: 'orders', entry: 'services/orders/dist/bundle.mjs', url: 'http://127.0.0.1:8082' },
  { name: 'gateway', entry: 'packages/gateway/dist/bundle.mjs', url: 'http://127.0.0.1:8080' },
];
