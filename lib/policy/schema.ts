/**
 * The single source of the ApiProtectionPolicy schema. From here come the TypeScript types (`Static`), the
 * validator used for files and snapshots (`validate.ts`) and the CRD's openAPIV3Schema (`crd-gen.ts`).
 * Keywords starting with `x-kubernetes-` are carried into the CRD and ignored by the file validator; the same
 * rules are enforced for files by the compiler's semantic checks.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** API group, version and kind of the resource. */
export const GROUP = 'palisade.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'ApiProtectionPolicy';
export const PLURAL = 'apiprotectionpolicies';
export const API_VERSION = `${GROUP}/${VERSION}`;

const strict = { additionalProperties: false } as const;

/** An HTTP header name (case-insensitive; compiled to lowercase). */
const HEADER_NAME = '^[A-Za-z0-9][-A-Za-z0-9_.]*$';

/** A host as it appears in `:authority` with the port stripped: exact, or a leading `*.` wildcard. */
const Host = Type.String({
  pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
  description: 'Host matched against :authority (port stripped, lowercase): exact, or "*." + suffix.',
});

/** SPIFFE principal glob: "*" matches any run of characters except "/". */
const PrincipalGlob = Type.String({ minLength: 1, maxLength: 512, pattern: '^\\S+$' });

const HttpMethod = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'].map((m) => Type.Literal(m)),
);

/** A path pattern: "*" is one segment, "**" any rest (including nothing). */
const PathPattern = Type.String({ pattern: '^/[^?#\\s]*$', maxLength: 1024 });

/** "Ns", "Nm" or "Nh". */
export const DURATION_PATTERN = '^[1-9][0-9]{0,6}(s|m|h)$';
const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'Ns | Nm | Nh' });

/** What a rate-limit key is made of. */
export const RATE_LIMIT_KEY_PATTERN = '^(clientIP|principal|consumer|session|header:[A-Za-z0-9][-A-Za-z0-9_.]*|claim:[A-Za-z0-9_.:-]+)$';

const Identity = Type.Object(
  {
    requireMTLS: Type.Optional(Type.Boolean({ default: false, description: 'Deny requests without an mTLS principal.' })),
    allowedPrincipals: Type.Optional(Type.Array(PrincipalGlob, { maxItems: 256 })),
    deniedPrincipals: Type.Optional(Type.Array(PrincipalGlob, { maxItems: 256 })),
  },
  strict,
);

const InlineApiKey = Type.Object(
  {
    consumer: Type.String({ minLength: 1, maxLength: 253 }),
    sha256: Type.String({ pattern: '^[a-f0-9]{64}$', description: 'Lowercase hex SHA-256 of the key.' }),
  },
  strict,
);

const LabelSelector = Type.Object(
  { matchLabels: Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'Secret labels that must all match.' }) },
  strict,
);

const ApiKeys = Type.Object(
  {
    header: Type.Optional(Type.String({ pattern: HEADER_NAME, default: 'x-api-key' })),
    keys: Type.Optional(Type.Array(InlineApiKey, { maxItems: 10000 })),
    secretSelector: Type.Optional(LabelSelector),
  },
  strict,
);

const Jwk = Type.Object({ kty: Type.String() }, { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true });

const Jwt = Type.Object(
  {
    issuer: Type.String({ minLength: 1 }),
    audiences: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 64 })),
    jwks: Type.Optional(Type.Object({ keys: Type.Array(Jwk, { maxItems: 64 }) }, strict)),
    jwksUri: Type.Optional(Type.String({ pattern: '^https?://\\S+$' })),
  },
  {
    ...strict,
    'x-kubernetes-validations': [
      { rule: 'has(self.jwks) != has(self.jwksUri)', message: 'set exactly one of jwks or jwksUri' },
    ],
  },
);

const Authentication = Type.Object(
  {
    required: Type.Optional(Type.Boolean({ default: false })),
    rejectBasicAuth: Type.Optional(Type.Boolean({ default: true })),
    apiKeys: Type.Optional(ApiKeys),
    jwt: Type.Optional(Jwt),
  },
  strict,
);

const Rule = Type.Object(
  {
    methods: Type.Optional(Type.Array(HttpMethod, { maxItems: 9 })),
    paths: Type.Optional(Type.Array(PathPattern, { maxItems: 256 })),
    principals: Type.Optional(Type.Array(PrincipalGlob, { maxItems: 256 })),
    consumers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1024 })),
    claims: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
  },
  strict,
);

const RateLimit = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
    methods: Type.Optional(Type.Array(HttpMethod, { maxItems: 9 })),
    paths: Type.Optional(Type.Array(PathPattern, { maxItems: 256 })),
    key: Type.Array(Type.String({ pattern: RATE_LIMIT_KEY_PATTERN }), { minItems: 1, maxItems: 8 }),
    requests: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    period: Duration,
    burst: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
  },
  strict,
);

const Inspection = Type.Object(
  {
    sqlInjection: Type.Optional(Type.Boolean({ default: false })),
    xss: Type.Optional(Type.Boolean({ default: false })),
    pathTraversal: Type.Optional(Type.Boolean({ default: false })),
  },
  strict,
);

const Cidr = Type.String({ pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' });

/** Names of the bot signals and of their evidence families, as `bot.ignoreSignals` accepts them. */
export const BOT_SIGNAL_NAMES = [
  'volume',
  'fresh',
  'errors',
  'methods',
  'aggregate',
  'tells',
  'volume-sess-tick',
  'volume-sess-min',
  'volume-sess-long',
  'volume-pair-tick',
  'volume-pair-min',
  'volume-pair-long',
  'volume-src-tick',
  'volume-src-long',
  'volume-net-long',
  'fresh-sessions',
  'fresh-sessions-network',
  'fresh-orphans',
  'first-request-not-get',
  'errors-session',
  'errors-address',
  'errors-token',
  'few-head',
  'surge-route',
  'surge-cell',
  'surge-failures',
  'surge-token',
  'surge-token-new-addresses',
  'surge-token-cell',
  'ua-missing',
  'ua-automation',
  'accept-missing',
  'browser-without-accept-language',
] as const;

const Bot = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('Enforce'), Type.Literal('Monitor'), Type.Literal('Off')], { default: 'Off' })),
    denyScore: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 80 })),
    challengeScore: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 50 })),
    sessionHeader: Type.Optional(Type.String({ pattern: HEADER_NAME })),
    sessionCookie: Type.Optional(
      Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 128, description: 'Cookie that carries the session id (default "session").' }),
    ),
    fingerprintHeaders: Type.Optional(
      Type.Array(Type.String({ pattern: HEADER_NAME, maxLength: 128 }), {
        maxItems: 8,
        description: 'Request headers in which the proxy passes TLS client fingerprints (JA3/JA4); default x-ja4, x-ja3, x-ja4-fingerprint, x-ja3-fingerprint.',
      }),
    ),
    ignoreSignals: Type.Optional(
      Type.Array(Type.Union(BOT_SIGNAL_NAMES.map((n) => Type.Literal(n))), {
        maxItems: 64,
        description: 'Bot signals (or whole evidence families) left out of the score.',
      }),
    ),
    allow: Type.Optional(
      Type.Object(
        {
          principals: Type.Optional(Type.Array(PrincipalGlob, { maxItems: 256 })),
          cidrs: Type.Optional(Type.Array(Cidr, { maxItems: 256 })),
        },
        strict,
      ),
    ),
  },
  {
    ...strict,
    'x-kubernetes-validations': [
      {
        rule: '!has(self.denyScore) || !has(self.challengeScore) || self.challengeScore <= self.denyScore',
        message: 'challengeScore must not exceed denyScore',
      },
      { rule: '!has(self.sessionHeader) || !has(self.sessionCookie)', message: 'sessionHeader and sessionCookie are exclusive' },
    ],
  },
);

/**
 * Istio integration (an extension of the contract): with the operator's --istio-provider, an Istio
 * AuthorizationPolicy (action CUSTOM, that provider) is created in the policy's namespace for these workloads, so
 * their sidecars send every request to Palisade. Not part of the compiled snapshot.
 */
const WorkloadSelector = Type.Object(
  {
    matchLabels: Type.Record(Type.String({ minLength: 1, maxLength: 317 }), Type.String({ maxLength: 63 }), {
      minProperties: 1,
      maxProperties: 64,
      description: 'Pod labels of the workloads (in the policy namespace) whose sidecars call Palisade; at least one.',
      'x-kubernetes-validations': [
        { rule: 'size(self) > 0', message: 'needs at least one label: an empty selector would select every workload in the namespace' },
      ],
    }),
  },
  { ...strict, description: 'Istio: protect these workloads through an AuthorizationPolicy (action CUSTOM) managed by the operator.' },
);

/** The `spec` of an ApiProtectionPolicy. */
export const PolicySpecSchema = Type.Object(
  {
    hosts: Type.Array(Host, { minItems: 1, maxItems: 256 }),
    mode: Type.Optional(Type.Union([Type.Literal('Enforce'), Type.Literal('Monitor')], { default: 'Enforce' })),
    failurePolicy: Type.Optional(
      Type.Union([Type.Literal('FailClosed'), Type.Literal('FailOpen')], { default: 'FailClosed' }),
    ),
    identity: Type.Optional(Identity),
    authentication: Type.Optional(Authentication),
    rules: Type.Optional(Type.Array(Rule, { maxItems: 1024 })),
    rateLimits: Type.Optional(
      Type.Array(RateLimit, {
        maxItems: 64,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    inspection: Type.Optional(Inspection),
    bot: Type.Optional(Bot),
    workloadSelector: Type.Optional(WorkloadSelector),
  },
  strict,
);

/** metav1.Condition as the operator writes it. */
export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.String(),
  message: Type.Optional(Type.String()),
  observedGeneration: Type.Optional(Type.Integer()),
  lastTransitionTime: Type.String({ format: 'date-time' }),
});

/** The `status` subresource. */
export const PolicyStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  snapshotVersion: Type.Optional(Type.String()),
  conditions: Type.Optional(
    Type.Array(ConditionSchema, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  ),
});

const Metadata = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 }),
    namespace: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 })),
    generation: Type.Optional(Type.Integer()),
    creationTimestamp: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: true },
);

/** A whole ApiProtectionPolicy document as `kubectl apply` takes it. */
export const PolicyDocumentSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(KIND),
    metadata: Metadata,
    spec: PolicySpecSchema,
    status: Type.Optional(PolicyStatusSchema),
  },
  strict,
);

export type PolicySpec = Static<typeof PolicySpecSchema>;
export type PolicyDocument = Static<typeof PolicyDocumentSchema>;
export type PolicyStatus = Static<typeof PolicyStatusSchema>;
export type Condition = Static<typeof ConditionSchema>;
export type RateLimitSpec = NonNullable<PolicySpec['rateLimits']>[number];
export type RuleSpec = NonNullable<PolicySpec['rules']>[number];

/** Printer columns shown by `kubectl get apipol`. */
export const PRINTER_COLUMNS = [
  { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' },
  { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
  { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
  { name: 'Enforced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Enforced")].status' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;

/** Re-exported so generators can walk schemas without importing TypeBox themselves. */
export type { TSchema };
