/** How a service process ends: its exit codes, and noticing that its parent has gone. */

/** Exit codes (sysexits.h) so supervisors can tell bad config from a crash. */
export const EXIT_CODES = { ok: 0, failure: 1, config: 78, interrupted: 130 } as const;

/** How long an orphaned process may take to drain before it exits anyway. */
export const ORPHAN_STOP_BOUND_MS = 5_000;

/** For a process started with an IPC channel: `gone` once the channel closes, at once if it already has. */
export function onParentGone(gone: () => void): void {
  if (process.send === undefined) return;
  if (process.connected) process.once('disconnect', gone);
  else gone();
}
