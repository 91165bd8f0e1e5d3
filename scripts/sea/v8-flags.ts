/**
 * V8 flags the service executables start with, carried in the executable
 * (SEA `execArgv`) because Node refuses them in NODE_OPTIONS. The images'
 * NODE_OPTIONS (`--max-semi-space-size=8`) still applies on top, and a Pod can
 * still replace that.
 *
 * `--heap-growing-percent=25`: after each full collection V8 lets the old
 * space grow to 1.25× what survived instead of up to 4× (its own factor, from
 * how fast it collects). Under load the gateway's old space filled with
 * garbage up to ~120 MiB for a ~40 MiB live heap; with the flag the gateway
 * held 149-164 MiB RSS instead of 228-247, orders 146 instead of 194-204
 * (bench/soak/README.md, "Heap flags"), at a CPU cost within the noise of
 * `bench/soak/heap-flags.ts`. Not for the operator: its own Deployment sizes
 * its young generation for its list/watch decoding.
 */
export const SERVICE_V8_FLAGS: readonly string[] = ['--heap-growing-percent=25'];

export function v8FlagsFor(name: string): readonly string[] {
  return name === 'operator' ? [] : SERVICE_V8_FLAGS;
}
