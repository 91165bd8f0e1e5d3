// Only the discovery suites import from here (they have not moved under test/integration yet).
export { startGreeter } from '../integration/grpc/greeter.ts';
