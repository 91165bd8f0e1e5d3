export { Admission, type Admit, compileAdmission, ORDER, Refusal, type Step, type StepFactory } from './admission.ts';
export type { Inbound } from './inbound.ts';
export type { RoutePolicy } from './route-policy.ts';
export { admissionOf, type FastifyAdmission, registerAdmission } from './fastify.ts';
export { authenticateStep, type AuthenticateStepOptions } from './steps/authenticate.ts';
export { deadlineStep } from './steps/deadline.ts';
export { limitNeedsIdentity, rateLimitStep, type RateLimitStepOptions } from './steps/rate-limit.ts';
export { shedStep } from './steps/shed.ts';
