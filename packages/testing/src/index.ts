export { eventually, type EventuallyOptions } from './eventually.ts';
export { freePort } from './free-port.ts';
export { captureLogs, type CapturedLogs, type LogLine } from './log-capture.ts';
export { scratchDir, tempDir, type TempDir } from './temp-dir.ts';
export { configDir, repoRoot } from './repository.ts';

export { missingServer, servicesRequired } from './servers/required.ts';
export { sharedEtcd } from './servers/shared-etcd.ts';
export { sharedRedis, uniquePrefix } from './servers/shared-redis.ts';
export { createTestDatabase, testDialects, type DialectName, type TestDatabase } from './databases/test-database.ts';

export { clientFor, getOrUndefined } from './kube/client.ts';
export { kubeconfigOrSkip, kubeconfigOrSkipReason, testKubeconfig } from './kube/kubeconfig.ts';
export { createNamespace, deleteNamespace } from './kube/namespaces.ts';
export { applyRbacManifest } from './kube/rbac-manifest.ts';
export { serviceAccountCredentials, type ServiceAccountCredentials } from './kube/service-account.ts';

export { startUsers, type StartUsersOptions, type UsersUnderTest } from './services/users.ts';
export {
  canListen,
  devEnv,
  distinctFreePorts,
  ESC,
  LISTENERS,
  screenText,
  startDev,
  type DevRun,
  type DevRunOptions,
} from './processes/dev-run.ts';
export { processesMarked } from './processes/processes-marked.ts';
export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './processes/service-process.ts';
export { runCli, type CliOptions, type CliResult } from './cli/run-cli.ts';
export { centreFlags, testBackends, type Backend, type CentreFlags } from './cli/centre-flags.ts';

export { hs256, mintJwt, nowSeconds, type Signer } from './auth/jwt.ts';
export {
  liesWithin,
  overlap,
  SPAN_KIND,
  startOtlpReceiver,
  type AttributeValue,
  type OtlpReceiver,
  type ReceivedSpan,
} from './observability/otlp-receiver.ts';
export { parseExposition, sampleValue, scrape, select, type Sample } from './observability/prom-text.ts';
export {
  observabilityDeployDir,
  shippedPrometheusFiles,
  type PrometheusFiles,
  type StaticGroup,
} from './observability/shipped-prometheus.ts';
export { ecKey, goodClaims, JwksServer, ManualClock, rsaKey, tokenFor, SECRET } from './auth/keys.ts';
export { newProbe, startGreeter, testGreeter, type GreeterProbe, type RunningGreeter } from './grpc/greeter.ts';
export { openApiProblems } from './openapi/valid-document.ts';
export { type RawAnswer, type RawOptions, rawExchange, requestText } from './http/raw-http.ts';
export {
  describeHostileInput,
  type HostileTarget,
  MAX_RECEIVE_BYTES,
  UNDECODABLE_MESSAGES,
  WRONG_WIRE_TYPES,
} from './grpc/hostile-suite.ts';
export {
  frame,
  type Http2Outcome,
  http2Call,
  rawBidi,
  rawClientStream,
  type RawCallOptions,
  type RawOutcome,
  rawUnary,
} from './grpc/raw-grpc.ts';
