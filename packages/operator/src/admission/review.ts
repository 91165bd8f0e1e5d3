// AdmissionReview (admission.k8s.io/v1): what the API server sends a validating webhook and
// the answer it expects back, with the request's uid.
import type { Problem } from './checks.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  name?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  userInfo?: { username?: string };
}

interface Status {
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; group?: string; kind?: string; causes: { reason: string; field: string; message: string }[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** A body that is not an AdmissionReview v1 request: answered with HTTP 400. */
export class MalformedReviewError extends Error {
  readonly code = 'malformed-admission-review';
}

export function readReview(body: unknown): AdmissionRequest {
  const review = body as Partial<AdmissionReview> | null;
  if (typeof review !== 'object' || review === null || review.kind !== 'AdmissionReview')
    throw new MalformedReviewError('the body is not an AdmissionReview');
  if (review.apiVersion !== ADMISSION_API_VERSION)
    throw new MalformedReviewError(`AdmissionReview ${String(review.apiVersion)} is not served: only ${ADMISSION_API_VERSION}`);
  const request = review.request;
  if (
    typeof request?.uid !== 'string' ||
    request.uid === '' ||
    typeof request.operation !== 'string' ||
    typeof request.kind?.kind !== 'string'
  )
    throw new MalformedReviewError('the AdmissionReview has no request with a uid, a kind and an operation');
  return request;
}

function answer(response: AdmissionResponse): AdmissionReview {
  if (response.warnings?.length === 0) delete response.warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

export function allow(request: AdmissionRequest, warnings: string[] = []): AdmissionReview {
  return answer({ uid: request.uid, allowed: true, warnings });
}

/** Denied as invalid (422), every problem in the message (kubectl prints it) and as a cause. */
export function deny(request: AdmissionRequest, problems: Problem[], warnings: string[] = []): AdmissionReview {
  const message = problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
  return answer({
    uid: request.uid,
    allowed: false,
    status: {
      code: 422,
      reason: 'Invalid',
      message,
      details: {
        name: request.name,
        group: request.kind.group,
        kind: request.kind.kind,
        causes: problems.map((problem) => ({ reason: problem.reason, field: problem.field, message: problem.message })),
      },
    },
    warnings,
  });
}
