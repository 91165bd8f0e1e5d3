/**
 * Parallel fan-out (the seed's `parallelCall`): every part of an aggregation
 * is requested at once, each with its own timeout, and the answers merged
 * into one JSON object keyed by part name. Latency is the slowest part, not
 * the sum. A missing optional part makes the answer partial; a missing
 * required part decides the status on its own (and stops waiting for the rest).
 */
import { FlotillaError } from '@flotilla/kit';
import type { HttpRequestTelemetry } from '@flotilla/telemetry';
import type { Deadline, HeaderBag, UpstreamGuards } from '@flotilla/resilience';
import type { Dispatcher } from 'undici';
import type { GatewayProblem } from '../proxy/problem.ts';
import { upstreamErrorType, type UpstreamTelemetry } from '../proxy/upstream-telemetry.ts';
import type { MatchResult } from '../routes/pattern.ts';
import type { AggregationPart, AggregationRoute } from '../routes/table.ts';
import type { UpstreamResolver } from '../upstream/resolver.ts';

export type PartOutcome =
  | { ok: true; value: unknown }
  | {
      ok: false;
      reason: 'no-instance' | 'unreachable' | 'timeout' | 'status' | 'invalid-body' | 'rejected';
      detail: string;
      status?: number;
      body?: unknown;
    };

export interface AggregationDeps {
  resolver: UpstreamResolver;
  pool(origin: string): Dispatcher;
  upstreams: UpstreamTelemetry;
  /** The aggregation's server request: each part is a client call under its span, all of them side by side. */
  request: HttpRequestTelemetry;
  /** When set, each part runs under its upstream's guard (breaker, bulkhead, retries, faults). */
  guards?: UpstreamGuards | undefined;
  /** The aggregation's deadline; each part's own timeout is capped by it. */
  deadline?: Deadline | undefined;
  /** Headers one part's request needs besides the shared ones (the signed identity, bound to its path). */
  partHeaders?: ((path: string) => string[]) | undefined;
  /** The client's headers, for on-demand faults (`x-flotilla-fault`). */
  clientHeaders?: HeaderBag | undefined;
}

export type AggregationResult =
  | { ok: true; body: Record<string, unknown>; partial: string[]; failures: Record<string, PartOutcome> }
  | {
      ok: false;
      part: string;
      problem: GatewayProblem;
      upstreamStatus?: number;
      upstreamBody?: unknown;
      failures: Record<string, PartOutcome>;
    };

class PartTimeout extends Error {}

/** `headers` are sent to every part (request id, forwarding info, the client's end-to-end headers). */
export async function runAggregation(
  route: AggregationRoute,
  match: MatchResult,
  headers: string[],
  deps: AggregationDeps,
  clientSignal: AbortSignal,
): Promise<AggregationResult> {
  const controllers = route.parts.map(() => new AbortController());
  const abortAll = (): void => {
    for (const c of controllers) c.abort(new Error('aggregation finished or client went away'));
  };
  clientSignal.addEventListener('abort', abortAll, { once: true });

  const outcomes: Array<PartOutcome | undefined> = route.parts.map(() => undefined);
  try {
    const firstRequiredFailure = await new Promise<number | undefined>((resolve) => {
      let pending = route.parts.length;
      route.parts.forEach((part, index) => {
        void guardedPart(part, match, headers, deps, controllers[index] as AbortController).then((outcome) => {
          outcomes[index] = outcome;
          if (!outcome.ok && part.required) resolve(index);
          if (--pending === 0) resolve(undefined);
        });
      });
    });

    const failures: Record<string, PartOutcome> = {};
    route.parts.forEach((part, index) => {
      const outcome = outcomes[index];
      if (outcome !== undefined && !outcome.ok) failures[part.name] = outcome;
    });

    if (firstRequiredFailure !== undefined) {
      const part = route.parts[firstRequiredFailure] as AggregationPart;
      const outcome = outcomes[firstRequiredFailure] as Extract<PartOutcome, { ok: false }>;
      return {
        ok: false,
        part: part.name,
        problem: requiredPartProblem(part, outcome),
        ...(outcome.status === undefined ? {} : { upstreamStatus: outcome.status, upstreamBody: outcome.body }),
        failures,
      };
    }

    const body: Record<string, unknown> = {};
    const partial: string[] = [];
    route.parts.forEach((part, index) => {
      const outcome = outcomes[index] as PartOutcome;
      if (outcome.ok) body[part.name] = outcome.value;
      else partial.push(part.name);
    });
    if (partial.length > 0) body.partial = partial;
    return { ok: true, body, partial, failures };
  } finally {
    clientSignal.removeEventListener('abort', abortAll);
    abortAll();
  }
}

const UNANSWERED: ReadonlySet<string> = new Set(['unreachable', 'timeout', 'no-instance']);

/** A part under its upstream's guard: a breaker rejection or a full bulkhead makes it a missing part (a partial answer), not an error. */
async function guardedPart(
  part: AggregationPart,
  match: MatchResult,
  headers: string[],
  deps: AggregationDeps,
  controller: AbortController,
): Promise<PartOutcome> {
  const guards = deps.guards;
  if (guards === undefined) return callPart(part, match, headers, deps, controller, part.timeoutMs);
  try {
    return await guards.execute(
      part.upstream,
      (ctx) =>
        callPart(
          part,
          match,
          headers,
          deps,
          controller,
          Math.min(part.timeoutMs, Math.max(1, Math.floor(ctx.deadline.remaining()))),
          ctx.faultDelayMs,
        ),
      {
        signal: controller.signal,
        deadline: deps.deadline,
        idempotent: true,
        fault: deps.clientHeaders === undefined ? undefined : guards.faultFromHeaders(deps.clientHeaders),
        failureOf: (outcome) =>
          outcome.ok
            ? undefined
            : UNANSWERED.has(outcome.reason) || (outcome.status !== undefined && outcome.status >= 502 && outcome.status <= 504)
              ? new FlotillaError('unavailable', outcome.detail)
              : undefined,
      },
    );
  } catch (error) {
    if (error instanceof FlotillaError)
      return {
        ok: false,
        reason: error.code === 'deadline-exceeded' ? 'timeout' : 'rejected',
        detail: `${part.upstream}: ${error.message}`,
      };
    return { ok: false, reason: 'unreachable', detail: `${part.upstream} could not be reached` };
  }
}

async function callPart(
  part: AggregationPart,
  match: MatchResult,
  headers: string[],
  deps: AggregationDeps,
  parent: AbortController,
  timeoutMs: number,
  faultDelayMs = 0,
): Promise<PartOutcome> {
  const picked = deps.resolver.pick(part.upstream);
  if (picked === undefined) return { ok: false, reason: 'no-instance', detail: `upstream ${part.upstream} has no instance` };
  const path = part.template.render(match.params, match.rest);
  // Each part gets its own copy: its client span's context, identity and remaining time differ.
  const sent = [...headers, ...(deps.partHeaders?.(path) ?? []), 'x-request-timeout', String(timeoutMs)];
  // The call reports to the balancer (picked.done) when it ends.
  const call = deps.upstreams.start(deps.request, part.upstream, picked, 'GET', path, sent, part.template.source);
  call.countFaultDelay(faultDelayMs);
  // One controller per attempt: a timed-out attempt must not cancel the retry after it.
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.signal.reason);
  if (parent.signal.aborted) onParentAbort();
  else parent.signal.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new PartTimeout()), timeoutMs);
  try {
    const response = await deps.pool(picked.origin).request({ path, method: 'GET', headers: sent, signal: controller.signal });
    call.respond(response.statusCode);
    const text = await response.body.text();
    call.finish();
    let value: unknown;
    try {
      value = text === '' ? null : JSON.parse(text);
    } catch {
      if (response.statusCode < 300)
        return { ok: false, reason: 'invalid-body', detail: `${part.upstream} answered with a body that is not JSON` };
      value = undefined;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, value };
    return {
      ok: false,
      reason: 'status',
      status: response.statusCode,
      body: value,
      detail: `${part.upstream} answered ${response.statusCode}`,
    };
  } catch (error) {
    if (controller.signal.reason instanceof PartTimeout) {
      call.fail('timeout', true);
      return { ok: false, reason: 'timeout', detail: `${part.upstream} did not answer within ${timeoutMs} ms` };
    }
    // Aborted otherwise: the answer was decided without this part, or the client went away.
    if (controller.signal.aborted) call.fail('cancelled', false);
    else call.fail(upstreamErrorType(error), true);
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      reason: 'unreachable',
      detail: `${part.upstream} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`,
    };
  } finally {
    clearTimeout(timer);
    parent.signal.removeEventListener('abort', onParentAbort);
  }
}

/** A required part's failure as the aggregation's own answer: 4xx passes through, the rest is 502/504. */
function requiredPartProblem(part: AggregationPart, outcome: Extract<PartOutcome, { ok: false }>): GatewayProblem {
  const extensions = { part: part.name, upstream: part.upstream };
  switch (outcome.reason) {
    case 'timeout':
      return { code: 'deadline-exceeded', detail: `Required part "${part.name}": ${outcome.detail}`, extensions };
    case 'status':
      if (outcome.status === 404) return { code: 'not-found', detail: `Required part "${part.name}": ${outcome.detail}`, extensions };
      return { code: 'bad-gateway', detail: `Required part "${part.name}": ${outcome.detail}`, extensions };
    default:
      return { code: 'bad-gateway', detail: `Required part "${part.name}": ${outcome.detail}`, extensions };
  }
}
