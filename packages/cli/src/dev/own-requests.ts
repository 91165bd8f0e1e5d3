/**
 * The user agent of the requests `flotilla dev` makes itself (readiness
 * probes, demo data): their access lines are its own chatter, shown only
 * with --verbose.
 */
export const DEV_USER_AGENT = 'flotilla-dev';

export const OWN_REQUEST_HEADERS = { 'user-agent': DEV_USER_AGENT } as const;
