/** Typed failures of the config centre, on top of the kit's domain errors. */
import { ConflictError } from '@flotilla/core';

/** A write based on a version that is no longer the head: nothing was stored. */
export class ConfigConflictError extends ConflictError {
  readonly expectedVersion: number;
  readonly actualVersion: number;
  constructor(namespace: string, service: string, expectedVersion: number, actualVersion: number) {
    super(
      `${namespace}/${service} is at version ${actualVersion}, not ${expectedVersion}: someone else changed it; read it again and reapply your change`,
      {
        expectedVersion,
        actualVersion,
      },
    );
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
