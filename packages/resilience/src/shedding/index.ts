// Load shedding: refuse new low-priority work early while the event loop is late or too much is in flight.
export { SheddingConfig, SHED_PRIORITIES, type SheddingSettings, type ShedPriority } from './settings.ts';
export {
  LoadShedder,
  isNeverShed,
  type ShedVerdict,
  type ShedReason,
  type LoadShedderStatus,
  type LoadShedderOptions,
  type SheddingLogger,
  type Closable,
} from './load-shedder.ts';
export { EventLoopDelaySampler, type DelaySignal } from './event-loop-delay.ts';
export { parsePriority, PRIORITY_HEADER } from './priority.ts';
export { overloadedError } from './problem.ts';
