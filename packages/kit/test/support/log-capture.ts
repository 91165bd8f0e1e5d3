// Only the discovery suites import from here (they have not moved under test/integration yet).
export { captureLogs } from '@flotilla/testing';
