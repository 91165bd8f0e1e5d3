// Load shedding: refuse new low-priority work early while the event loop is late or too much is in flight.
export { SheddingConfig, SHED_PRIORITIES, type SheddingSettings, type ShedPriority } from './settings.js';
export { LoadShedder, isNeverShed, type ShedVerdict, type ShedReason, type LoadShedderStatus, type LoadShedderOptions, type SheddingLogger, type Closable } from './load-shedder.js';
export { EventLoopDelaySampler, type DelaySignal } from './event-loop-delay.js';
export { parsePriority, PRIORITY_HEADER } from './priority.js';
export { registerLoadShedding, loadShedderOf, overloadedError, type LoadSheddingOptions, type RegisterLoadSheddingOptions } from './fastify.js';
