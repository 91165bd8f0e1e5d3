/**
 * The `discovery` config section every service has (it is part of the base
 * schema): which registry backend, where this process runs (region/zone) and
 * what it publishes about itself (address, weight). Schema only, so the
 * config code can use it without loading the backends.
 *
 *   discovery: { backend: etcd, region: eu, zone: eu-1, etcd: { endpoints: "http://10.0.0.1:2379" } }
 *   etcd: { endpoints: "https://10.0.0.1:2379", username: flotilla, password: "${ETCD_PASSWORD}", tls: { caFile: /etc/etcd/ca.pem } }
 *   discovery: { backend: kubernetes }        (EndpointSlices of the pod's namespace)
 *   discovery: { backend: auto }              (kubernetes in a cluster, else local: staging and prod)
 *   FLOTILLA_USERS__DISCOVERY__BACKEND=etcd   (one key of one service from the environment)
 */
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;

export const DiscoveryConfig = Type.Object(
  {
    backend: Type.Enum(['local', 'etcd', 'kubernetes', 'auto'], {
      default: 'local',
      description:
        'local: files under $FLOTILLA_HOME/registry (one machine); etcd: leases and watches; kubernetes: EndpointSlices; auto: kubernetes when KUBERNETES_SERVICE_HOST is set, else local',
    }),
    /** Whether this process registers itself; false: it only looks others up. */
    register: Type.Boolean({ default: true }),
    /** Where this process runs; the balancers prefer instances in the same zone, then region. */
    region: Type.String({ default: 'local', minLength: 1 }),
    zone: Type.String({ default: 'local', minLength: 1 }),
    /** This instance's share of traffic (0 takes it out of rotation); changes live. */
    weight: Type.Integer({ default: 100, minimum: 0, maximum: 1000 }),
    /** Host other processes reach this one on (default: the listener's host, or 127.0.0.1 when it listens on every interface). */
    advertiseAddress: Type.Optional(Type.String({ minLength: 1 })),
    local: Type.Object(
      {
        dir: Type.Optional(Type.String({ minLength: 1, description: 'default $FLOTILLA_HOME/registry' })),
        ttlMs: Type.Integer({ default: 5000, minimum: 500 }),
        heartbeatMs: Type.Integer({ default: 1000, minimum: 100 }),
      },
      { ...strict, default: {} },
    ),
    etcd: Type.Object(
      {
        endpoints: Type.String({
          default: 'http://127.0.0.1:2379',
          minLength: 1,
          description: 'comma-separated http://host:port list',
        }),
        prefix: Type.String({ default: '/flotilla', pattern: '^/' }),
        ttlSeconds: Type.Integer({ default: 10, minimum: 2 }),
        username: Type.Optional(Type.String({ minLength: 1, description: 'etcd user, when etcd has authentication on (with password)' })),
        password: Type.Optional(
          Type.String({ minLength: 1, description: "the etcd user's password; write it as ${VAR} (masked in logs and errors)" }),
        ),
        tls: Type.Optional(
          Type.Object(
            {
              caFile: Type.Optional(
                Type.String({ minLength: 1, description: "PEM CA bundle that signed etcd's certificate; default Node's root CAs" }),
              ),
              certFile: Type.Optional(
                Type.String({ minLength: 1, description: 'client certificate (PEM), for an etcd that checks them; with keyFile' }),
              ),
              keyFile: Type.Optional(Type.String({ minLength: 1, description: "the client certificate's private key (PEM)" })),
            },
            { ...strict, description: 'TLS files for https:// endpoints' },
          ),
        ),
      },
      { ...strict, default: {} },
    ),
    kubernetes: Type.Object(
      {
        kubeconfig: Type.Optional(
          Type.String({
            minLength: 1,
            description: "default: $KUBECONFIG, else the pod's service account, else ~/.kube/config",
          }),
        ),
        namespace: Type.Optional(Type.String({ minLength: 1, description: "whose EndpointSlices are read; default the pod's namespace" })),
      },
      { ...strict, default: {} },
    ),
  },
  { ...strict, default: {} },
);

export type DiscoverySettings = Static<typeof DiscoveryConfig>;
