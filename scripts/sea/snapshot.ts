/**
 * Which executables start from a V8 start-up snapshot (Node's SEA
 * `useSnapshot`): every module of the bundle loaded at build time, only
 * `main()` left for each start. A service is listed once its snapshot builds
 * and its tests pass; the others keep the code cache (see README.md).
 */
export const SNAPSHOT_SERVICES: ReadonlySet<string> = new Set(['users', 'orders', 'greeter', 'gateway']);

export function usesSnapshot(name: string): boolean {
  return SNAPSHOT_SERVICES.has(name);
}

/**
 * The environment the snapshot is built in: nothing of the builder's. What a
 * package reads from the environment while loading is kept in the snapshot;
 * with nothing set, that is each switch's default.
 */
export function snapshotBuildEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '' };
}
