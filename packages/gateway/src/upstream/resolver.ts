/**
 * Which instance serves a request for an upstream service: the only thing the
 * proxy, the aggregations and the merged OpenAPI ask about instances. A pick
 * is a claim on one instance; its `done` reports how the request went, which
 * feeds the balancer (EWMA latency, in-flight counts, passive ejection).
 */

export interface UpstreamOutcome {
  /** False for transport errors, timeouts and 502/503/504 answers: what counts toward ejection. */
  ok: boolean;
  /** Measured latency; when omitted, the time since the pick. */
  latencyMs?: number;
}

export interface PickedUpstream {
  /** `http://host:port` to send the request to. */
  readonly origin: string;
  /** Call once when the request ends (later calls are ignored). */
  done(outcome: UpstreamOutcome): void;
}

export interface UpstreamResolver {
  /** An instance for the next request to `service`, or undefined when it has none available. */
  pick(service: string): PickedUpstream | undefined;
  /** Every origin currently known for `service`. */
  instances(service: string): readonly string[];
}

/** Whether an upstream's HTTP status says the instance could not serve (rather than the request being wrong). */
export function statusCountsAsFailure(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
