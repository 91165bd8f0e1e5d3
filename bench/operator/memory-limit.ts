// Runs the operator under the memory limit its Deployment sets (deploy/kubernetes/operator:
// limits.memory 384Mi), in a memory cgroup of its own. Node sizes V8's heap from that limit
// (uv_get_constrained_memory): under 384 MiB the heap limit is about 260 MiB and the young
// generation stays at a few MiB, while on an unconstrained host with 24 GB V8 lets the
// young generation alone grow to 128 MiB. Measuring without the limit measures a
// configuration that is never deployed.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** where the group lives */
  dir: string;
  /** `command args` started inside the group (the shell joins it, then execs the command) */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Removes the group once its process has gone (retries for a few seconds). */
  remove(): Promise<void>;
}

/** A memory cgroup (v2, else v1) limited to `limitMiB`, or a reason why there is none. */
export function memoryCgroup(name: string, limitMiB: number): MemoryCgroup | { unavailable: string } {
  const bytes = String(limitMiB * 1024 * 1024);
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? join('/sys/fs/cgroup', name) : join('/sys/fs/cgroup/memory', name);
  try {
    if (!v2 && !existsSync('/sys/fs/cgroup/memory')) return { unavailable: 'no memory cgroup controller is mounted' };
    mkdirSync(dir);
    writeFileSync(join(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes'), bytes);
  } catch (error) {
    return { unavailable: `cannot create ${dir}: ${(error as Error).message}` };
  }
  return {
    dir,
    wrap: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args],
    }),
    remove: async () => {
      for (let attempt = 0; attempt < 25 && existsSync(dir); attempt++) {
        try {
          rmdirSync(dir);
        } catch {
          await new Promise((r) => setTimeout(r, 200)); // its process is still exiting
        }
      }
    },
  };
}
