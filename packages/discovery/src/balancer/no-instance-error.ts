import { UnavailableError } from '@flotilla/core';

/** No instance of the service can take the request (none registered, none serving, none with the port). Maps to 503 / UNAVAILABLE. */
export class NoInstanceError extends UnavailableError {
  readonly service: string;
  readonly reason: 'none-registered' | 'none-eligible';

  constructor(service: string, reason: NoInstanceError['reason']) {
    super(reason === 'none-registered' ? `No instance of ${service} is registered` : `No instance of ${service} is serving`);
    this.service = service;
    this.reason = reason;
  }
}
