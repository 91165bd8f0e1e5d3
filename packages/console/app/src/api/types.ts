/** The shapes the gateway's admin API answers with (the console ↔ gateway contract). */

export interface Session {
  subject: string;
  roles: string[];
  csrfToken: string;
  expiresAt: string;
}

export interface TopologyInstance {
  id: string;
  address: string;
  region?: string;
  zone?: string;
  version?: string;
  healthy: boolean;
  weight?: number;
  /** null when the gateway does not call it. */
  outstanding?: number | null;
  ejected?: boolean;
  source?: 'registry' | 'static';
}

export interface TopologyService {
  name: string;
  instances: TopologyInstance[];
}

export interface TopologyEdge {
  from: string;
  to: string;
  protocol: 'http' | 'grpc';
  routes?: string[];
}

export interface Topology {
  services: TopologyService[];
  edges: TopologyEdge[];
}

export interface TrafficValues {
  rate: number;
  errorRate: number;
  /** Seconds; null when the interval had no request. */
  p50: number | null;
  p99: number | null;
}

export interface TrafficPoint extends TrafficValues {
  t: number;
}

export interface TrafficSeries {
  key: string;
  kind: 'route' | 'upstream';
  points: TrafficPoint[];
}

export interface Traffic {
  intervalSeconds: number;
  windowSeconds: number;
  /** Where the history came from: Prometheus (every gateway instance) or this gateway process. */
  source: 'prometheus' | 'process';
  warning?: string;
  series: TrafficSeries[];
}

export interface TrafficSample {
  t: number;
  entries: Array<TrafficValues & { key: string; kind: 'route' | 'upstream' }>;
}

export interface BreakerStatus {
  state: string;
  probability: number;
  reason: string;
  since: number;
  requests: number;
  rejections: number;
}

export interface BulkheadStatus {
  maxConcurrent: number;
  maxQueue: number;
  inFlight: number;
  queued: number;
  rejections: number;
}

export interface UpstreamGuardSnapshot {
  timeoutMs: number;
  breaker: BreakerStatus | null;
  bulkhead: BulkheadStatus | null;
}

export interface Breakers {
  namespace: string;
  upstreams: Record<string, UpstreamGuardSnapshot>;
}

export interface RateLimitPolicy {
  name: string;
  keyBy: string;
  limit: number;
  windowSeconds: number;
  burst: number;
}

export interface Limits {
  enabled: boolean;
  policies: Record<string, RateLimitPolicy>;
  routes: Record<string, string>;
  defaultPolicy?: string;
  store?: unknown;
}

export interface Fault {
  /** `<service>:<upstream>:<kind>`; the upstream `*` stands for every upstream (`resilience.defaults`). */
  id: string;
  /** Whose calls it affects. */
  service?: string;
  upstream?: string;
  route?: string;
  kind: 'delay' | 'abort';
  percent: number;
  delayMs?: number;
  status?: number;
  grpcCode?: number;
  /** Its key in the config, e.g. resilience.upstreams.orders.fault.abort. */
  path?: string;
  source: string;
  namespace?: string;
  document?: string | null;
  version?: number | null;
  clearable?: boolean;
}

export interface Faults {
  faults: Fault[];
  /** Whether the gateway honours `x-flotilla-fault` on requests, and why. */
  header?: { enabled: boolean; reason: string };
}

export interface Anomaly {
  kind: string;
  key: string;
  since: string;
  value: number;
  baseline: number;
  threshold: number;
}

export interface ConfigServiceHead {
  service: string;
  version: number;
  updatedAt?: string;
  author?: string;
}

export interface ConfigDocument {
  service: string;
  version: number;
  document: unknown;
  schema: unknown;
}

export interface HistoryEntry {
  version: number;
  author: string;
  message: string;
  at: string;
  /** Set when this version restored an earlier one. */
  rollbackOf?: number;
}

export interface SchemaError {
  path: string;
  message: string;
}

export interface Validation {
  valid: boolean;
  errors?: SchemaError[];
}

export interface ConfigExport {
  format: string;
  namespace: string;
  services: Record<string, { document: unknown; schema: unknown; version: number }>;
}

export interface TraceSummary {
  traceId: string;
  name: string;
  start: number | string;
  durationMs: number;
  spanCount: number;
  error: boolean;
}

export interface Span {
  spanId: string;
  parentSpanId?: string | null;
  name: string;
  service: string;
  kind?: string | number;
  start: number;
  durationMs: number;
  attributes?: Record<string, unknown>;
  status?: unknown;
}

export interface TraceDetail {
  traceId: string;
  spans: Span[];
  /** Every process asked for its spans, and what it gave. */
  sources?: Array<{ service: string; instance: string; spans: number; error?: string }>;
}

export interface TraceList {
  traces: TraceSummary[];
  jaegerUrl: string | null;
  /** false when tracing is off in the gateway: nothing is kept. */
  tracing?: boolean;
}

export interface LogLevelInstance {
  id: string;
  address: string;
  /** null when the instance could not be asked (`error` says why). */
  level: string | null;
  error?: string;
}

export interface LogLevels {
  services: Array<{ service: string; instances: LogLevelInstance[] }>;
}

export interface GrpcServices {
  services: Array<{ service: string; instance: string; address?: string; grpcServices: string[]; error?: string }>;
}
