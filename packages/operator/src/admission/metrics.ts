// The webhook's metrics, in the operator's registry: reviews answered, requests refused,
// certificate expiry (alert well before it) and rotations.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface AdmissionMetrics {
  reviews: Counter<'resource' | 'operation' | 'allowed'>;
  errors: Counter<'status'>;
  certificateExpiry: Gauge<'certificate'>;
  rotations: Counter<'certificate'>;
}

export function createAdmissionMetrics(registry: Registry): AdmissionMetrics {
  const registers = [registry];
  return {
    reviews: new Counter({
      name: 'flotilla_admission_reviews_total',
      help: 'AdmissionReviews answered, by resource, operation and verdict',
      labelNames: ['resource', 'operation', 'allowed'],
      registers,
    }),
    errors: new Counter({
      name: 'flotilla_admission_request_errors_total',
      help: 'webhook requests answered without a review (HTTP status >= 400)',
      labelNames: ['status'],
      registers,
    }),
    certificateExpiry: new Gauge({
      name: 'flotilla_admission_certificate_expiry_timestamp_seconds',
      help: 'when the webhook certificate served now (serving) and its CA (ca) expire, in Unix seconds',
      labelNames: ['certificate'],
      registers,
    }),
    rotations: new Counter({
      name: 'flotilla_admission_certificate_rotations_total',
      help: 'certificates this process issued and stored (ca, serving)',
      labelNames: ['certificate'],
      registers,
    }),
  };
}
