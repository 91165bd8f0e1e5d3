/** The sides of access-line.ts and what a worker reports (no imports: the driver runs without `@flotilla/source`). */
export const SIDES = ['pino', 'kit', 'kit-fields', 'pino-ecs', 'pino-redact'] as const;
export type Side = (typeof SIDES)[number];

export interface WorkerResult {
  side: Side;
  microsPerLine: number;
  bytesPerLine: number;
}
