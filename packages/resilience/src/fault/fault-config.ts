/**
 * FaultConfig: the TypeBox schema of a `fault` section (per upstream in
 * `resilience`), e.g.
 *
 *   fault:
 *     delay: { ms: 200, percent: 10 }
 *     abort: { status: 503, percent: 5 }     # or { grpcCode: 14, percent: 5 }
 *
 * An abort names exactly one of an HTTP error status (400-599) or a gRPC
 * code (1-16); anything else is a config problem saying so, e.g.
 * `upstreams.users.fault.abort.status = 302: must be an HTTP error status 400-599, not 302`.
 */
import Type from 'typebox';
import { MAX_FAULT_DELAY_MS } from './fault-header.ts';
import { abortProblem, isAbortGrpcCode, isAbortStatus, MAX_ABORT_STATUS, MIN_ABORT_STATUS, type FaultAbort } from './fault-spec.ts';

const strict = { additionalProperties: false } as const;
const Percent = Type.Number({ minimum: 0, maximum: 100 });

const AbortStatus = Type.Refine(
  Type.Integer(),
  isAbortStatus,
  (status: number) => `must be an HTTP error status ${MIN_ABORT_STATUS}-${MAX_ABORT_STATUS}, not ${status}`,
);
const AbortGrpcCode = Type.Refine(Type.Integer(), isAbortGrpcCode, (code: number) => `must be a gRPC error code 1-16, not ${code}`);

export const FaultAbortConfig = Type.Refine(
  Type.Object({ status: Type.Optional(AbortStatus), grpcCode: Type.Optional(AbortGrpcCode), percent: Percent }, strict),
  (abort: FaultAbort) => abortProblem(abort) === undefined,
  (abort: FaultAbort) => abortProblem(abort) ?? 'is not a valid abort',
);

export const FaultConfig = Type.Object(
  {
    delay: Type.Optional(Type.Object({ ms: Type.Integer({ minimum: 0, maximum: MAX_FAULT_DELAY_MS }), percent: Percent }, strict)),
    abort: Type.Optional(FaultAbortConfig),
  },
  strict,
);
