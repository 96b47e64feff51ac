/**
 * The single source of the ApiProtectionPolicy schema. From here come the TypeScript types (`Static`), the
 * validator used for files and snapshots (`validate.ts`) and the CRD's openAPIV3Schema (`crd-gen.ts`).
 * Keywords starting with `x-kubernetes-` are carried into the CRD and ignored by the file validator; the same
 * rules are enforced for files by the compiler's semantic checks.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PATH_MESSAGES } from './patterns.ts';

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

/**
 * A path pattern: "*" is one segment, "**" any rest (including nothing). The CEL rules refuse at apply time what
 * the compiler refuses (patterns.ts), with its words.
 */
const PathPattern = Type.String({
  pattern: '^/[^?#\\s]*$',
  maxLength: 256,
  'x-kubernetes-validations': [
    { rule: "!self.matches('[*][*]/.')", message: PATH_MESSAGES.doubleStarLast },
    { rule: "!self.matches('[^/*][*]|[*][^/*]|[*][*][*]')", message: PATH_MESSAGES.wholeSegment },
    { rule: "!self.contains('//')", message: PATH_MESSAGES.emptySegment },
  ],
});

/** The compiler's refusal of crossed bot thresholds (the CRD refuses the same, in the same words). */
export const BOT_SCORES_ORDER = 'challengeScore must not exceed denyScore (defaults: challengeScore 50, denyScore 80)';

/** The compiler's refusals of claim matching without a JWT (the CRD refuses the same, in the same words). */
export const CLAIMS_NEED_JWT = 'claims can only match a verified JWT: set spec.authentication.jwt';
export const CLAIM_KEY_NEEDS_JWT = '"claim:" key parts need spec.authentication.jwt';

/** "Ns", "Nm" or "Nh". */
const DURATION_PATTERN = '^[1-9][0-9]{0,6}(s|m|h)$';
const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'Ns | Nm | Nh' });

/** What a rate-limit key is made of. */
const RATE_LIMIT_KEY_PATTERN = '^(clientIP|principal|consumer|session|header:[A-Za-z0-9][-A-Za-z0-9_.]*|claim:[A-Za-z0-9_.:-]+)$';

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

/** The compiler's refusal of an API-key scheme of Basic (the CRD refuses the same, in the same words). */
export const API_KEY_SCHEME_NOT_BASIC = 'Basic credentials are a user and a password, not an API key: choose another scheme';

const ApiKeys = Type.Object(
  {
    header: Type.Optional(
      Type.String({ pattern: HEADER_NAME, description: 'The header that carries the key. Default: x-api-key, or authorization when a scheme is set.' }),
    ),
    scheme: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z][-A-Za-z0-9!#$%&'*+.^_`|~]*$",
        maxLength: 32,
        description: 'The key comes as "<scheme> <key>" (e.g. Bearer), the scheme matched case-insensitively.',
        'x-kubernetes-validations': [{ rule: "self.lowerAscii() != 'basic'", message: API_KEY_SCHEME_NOT_BASIC }],
      }),
    ),
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
    paths: Type.Optional(Type.Array(PathPattern, { maxItems: 32 })),
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
    paths: Type.Optional(Type.Array(PathPattern, { maxItems: 32 })),
    key: Type.Array(Type.String({ pattern: RATE_LIMIT_KEY_PATTERN, maxLength: 128 }), { minItems: 1, maxItems: 8 }),
    requests: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    period: Duration,
    burst: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
    whenKeyPartMissing: Type.Optional(
      Type.Union([Type.Literal('Share'), Type.Literal('Skip')], {
        description: 'Requests that lack a key part (no header, no session, anonymous): Share = they share one bucket (default), Skip = this limit does not apply to them.',
      }),
    ),
  },
  strict,
);

/** Bytes of a request body that inspection reads, by default and at most. */
export const DEFAULT_INSPECTED_BODY_BYTES = 64 * 1024;
const MAX_INSPECTED_BODY_BYTES = 1024 * 1024;

/** An inspection rule name ("sqli.tautology"), a family ("sqli") or a family wildcard ("sqli.*"). */
const INSPECTION_RULE_PATTERN = '^(sqli|xss|traversal|cmdi)(\\.(\\*|[a-z][a-z0-9-]*))?$';
/** Where a finding was made: "path", "query:q", "header:user-agent", "cookie:sid", "body:json.comment"...; a trailing "*" matches a prefix. */
const INSPECTION_LOCATION_PATTERN = '^(path|query-name|cookie-name|body|(query|header|cookie|body)[:.]\\S{0,200})\\*?$';

const InspectionExclusion = Type.Object(
  {
    rules: Type.Optional(
      Type.Array(Type.String({ pattern: INSPECTION_RULE_PATTERN }), {
        minItems: 1,
        maxItems: 64,
        description: 'Rule names (sqli.tautology), families (sqli) or family wildcards (sqli.*); absent: every rule.',
      }),
    ),
    paths: Type.Optional(Type.Array(PathPattern, { minItems: 1, maxItems: 64, description: 'Request paths; absent: every path.' })),
    locations: Type.Optional(
      Type.Array(Type.String({ pattern: INSPECTION_LOCATION_PATTERN, maxLength: 256 }), {
        minItems: 1,
        maxItems: 64,
        description: 'Finding locations (query:q, header:user-agent, cookie:sid, body:json.comment; "*" at the end matches a prefix); absent: everywhere.',
      }),
    ),
  },
  { ...strict, description: 'Turns the listed rules off where both the path and the location match. At least one field is required.' },
);

const Inspection = Type.Object(
  {
    sqlInjection: Type.Optional(Type.Boolean({ default: false })),
    xss: Type.Optional(Type.Boolean({ default: false })),
    pathTraversal: Type.Optional(Type.Boolean({ default: false, description: 'Path traversal, local file inclusion and restricted files.' })),
    commandInjection: Type.Optional(Type.Boolean({ default: false, description: 'Unix and Windows shell command injection.' })),
    paranoia: Type.Optional(
      Type.Union([Type.Literal('ApiTolerant'), Type.Literal('Strict')], {
        default: 'ApiTolerant',
        description: 'ApiTolerant reports attack shapes only; Strict also reports lone suspicious tokens (SQL function calls, NoSQL operators, shell commands at the start of a value).',
      }),
    ),
    exclusions: Type.Optional(Type.Array(InspectionExclusion, { maxItems: 64 })),
    maxBodyBytes: Type.Optional(
      Type.Integer({
        minimum: 1024,
        maximum: MAX_INSPECTED_BODY_BYTES,
        default: DEFAULT_INSPECTED_BODY_BYTES,
        description: 'Bytes of the (decoded) request body that are inspected.',
      }),
    ),
    oversizedBody: Type.Optional(
      Type.Union([Type.Literal('Deny'), Type.Literal('Flag')], {
        default: 'Deny',
        description:
          'A body not inspected whole (longer than maxBodyBytes, truncated by Envoy, or in an encoding Palisade cannot decode): Deny (403 inspection), or Flag (allowed with x-palisade-body-inspected: partial upstream, counted and logged).',
      }),
    ),
  },
  strict,
);

/**
 * How the upstream reads paths, so that rules and rate limits match the route the request will reach. Dot
 * segments, invalid escapes and control characters are always refused (upstreams disagree on them); `;` path
 * parameters are always stripped before matching (Tomcat and Spring route on the path without them).
 */
const PathMatching = Type.Object(
  {
    escapedSlashes: Type.Optional(
      Type.Union([Type.Literal('Reject'), Type.Literal('Unescape'), Type.Literal('Keep')], {
        default: 'Reject',
        description:
          'Paths with %2F, %5C or a backslash: Reject (403 inspection), Unescape (read them as "/", as nginx does with %2F), or Keep (opaque characters, as Go net/http and Express route them).',
      }),
    ),
    caseSensitive: Type.Optional(
      Type.Boolean({ default: true, description: 'false: paths in rules and rate limits match case-insensitively (Express routes that way by default).' }),
    ),
  },
  strict,
);

const Cidr = Type.String({
  pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$',
  maxLength: 64,
  'x-kubernetes-validations': [{ rule: 'isCIDR(self)', messageExpression: "'invalid CIDR \"' + self + '\"'" }],
});

/** Shortest challenge signing key, in bytes (an HMAC-SHA256 key shorter than the hash adds no strength). */
export const CHALLENGE_KEY_MIN_BYTES = 32;

/** Defaults of `bot.challenge` (the compiler applies them; the schema documents them). */
export const CHALLENGE_DEFAULTS = {
  action: 'Challenge',
  difficulty: { min: 16, max: 22 },
  passLifetime: '1h',
  passScoreCredit: 30,
  networkPrefix: { ipv4: 24, ipv6: 64 },
  exemptMethods: ['OPTIONS'],
} as const;

const Challenge = Type.Object(
  {
    action: Type.Optional(
      Type.Union([Type.Literal('Challenge'), Type.Literal('Header')], {
        default: CHALLENGE_DEFAULTS.action,
        description:
          'What a challenge verdict does when the policy and bot mode are Enforce: Challenge (proof of work) or Header (only x-palisade-bot-verdict: challenge upstream). Monitor never challenges.',
      }),
    ),
    difficulty: Type.Optional(
      Type.Object(
        {
          min: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: CHALLENGE_DEFAULTS.difficulty.min, description: 'Leading zero bits at the challenge threshold.' })),
          max: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: CHALLENGE_DEFAULTS.difficulty.max, description: 'Leading zero bits at the deny threshold.' })),
        },
        {
          ...strict,
          'x-kubernetes-validations': [{ rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'difficulty.min must not exceed difficulty.max' }],
        },
      ),
    ),
    passLifetime: Type.Optional(Type.String({ pattern: DURATION_PATTERN, default: CHALLENGE_DEFAULTS.passLifetime, description: 'How long a solved challenge counts: Ns | Nm | Nh.' })),
    passScoreCredit: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100, default: CHALLENGE_DEFAULTS.passScoreCredit, description: 'Score points a valid pass takes off a challenge verdict (a deny verdict stays a deny).' }),
    ),
    networkPrefix: Type.Optional(
      Type.Object(
        {
          ipv4: Type.Optional(Type.Integer({ minimum: 8, maximum: 32, default: CHALLENGE_DEFAULTS.networkPrefix.ipv4 })),
          ipv6: Type.Optional(Type.Integer({ minimum: 16, maximum: 128, default: CHALLENGE_DEFAULTS.networkPrefix.ipv6 })),
        },
        { ...strict, description: 'A pass holds only within the client network of this prefix length.' },
      ),
    ),
    exemptPaths: Type.Optional(Type.Array(PathPattern, { maxItems: 256, description: 'Never challenged (header only), e.g. webhooks.' })),
    exemptMethods: Type.Optional(Type.Array(HttpMethod, { maxItems: 9, default: [...CHALLENGE_DEFAULTS.exemptMethods], description: 'Never challenged (header only).' })),
    keySecret: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
        maxLength: 253,
        description: 'Secret in the policy namespace with the signing keys: data.current (and data.previous while rotating), at least 32 characters each. Without it the server-wide key is used.',
      }),
    ),
  },
  { ...strict, description: 'What a challenge verdict does: a proof of work, and the pass that solving it earns.' },
);

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
  'volume-sess-pages',
  'volume-sess-pages-long',
  'volume-pair-tick',
  'volume-pair-min',
  'volume-pair-long',
  'volume-src-tick',
  'volume-src-long',
  'volume-addr-tick',
  'volume-addr-long',
  'volume-net-long',
  'volume-net-addresses',
  'fresh-sessions',
  'fresh-sessions-network',
  'fresh-orphans',
  'fresh-relanding',
  'one-shot-sessions',
  'first-request-not-get',
  'errors-session',
  'errors-address',
  'errors-source',
  'errors-token',
  'probes',
  'few-head',
  'pages-only',
  'surge-route',
  'surge-cell',
  'surge-class',
  'surge-novel',
  'surge-first-call',
  'surge-failures',
  'surge-token',
  'surge-token-new-addresses',
  'surge-token-cell',
  'credential-spread',
  'ua-missing',
  'ua-automation',
  'headless-hidden',
  'accept-missing',
  'browser-without-accept-language',
  'journey-skip',
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
          searchCrawlers: Type.Optional(
            Type.Boolean({
              default: true,
              description:
                "Search engines' crawlers (Googlebot, bingbot) are not scored when their user agent comes from the address ranges their owners publish for them; the same user agent from anywhere else is scored as any client's.",
            }),
          ),
        },
        strict,
      ),
    ),
    challenge: Type.Optional(Challenge),
  },
  {
    ...strict,
    'x-kubernetes-validations': [
      {
        rule: '(has(self.challengeScore) ? self.challengeScore : 50) <= (has(self.denyScore) ? self.denyScore : 80)',
        message: BOT_SCORES_ORDER,
        fieldPath: '.challengeScore',
      },
      { rule: '!has(self.sessionHeader) || !has(self.sessionCookie)', message: 'sessionHeader and sessionCookie are exclusive' },
    ],
  },
);

/** A ConfigMap in the policy's namespace labelled `palisade.dev/openapi`, and the key holding the description. */
const ConfigMapRef = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 }),
    key: Type.Optional(Type.String({ pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253, default: 'openapi.yaml', description: 'Key in data (text) or binaryData (gzip allowed).' })),
  },
  strict,
);

/** The label a ConfigMap needs for the operator to read it (RBAC cannot filter by label; the informer does). */
export const OPENAPI_CONFIGMAP_LABEL = 'palisade.dev/openapi';

const OpenApi = Type.Object(
  {
    inline: Type.Optional(
      Type.Object({}, { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true, description: 'The OpenAPI 3.0 or 3.1 description itself.' }),
    ),
    configMapRef: Type.Optional(ConfigMapRef),
    mode: Type.Optional(
      Type.Union([Type.Literal('Enforce'), Type.Literal('Monitor')], {
        default: 'Enforce',
        description: 'Enforce: requests the description does not accept get the validation verdict (400); Monitor: reported only.',
      }),
    ),
    basePath: Type.Optional(Type.String({ pattern: '^(/[^?#\\s{}]*)?$', maxLength: 256, description: "Prefix of every operation's path (default: the path of the first server URL)." })),
    validateBody: Type.Optional(Type.Boolean({ default: true, description: 'Validate JSON and form bodies when Envoy sends them.' })),
  },
  {
    ...strict,
    description: "The API's OpenAPI description: requests must be operations it declares (positive validation).",
    'x-kubernetes-validations': [{ rule: 'has(self.inline) != has(self.configMapRef)', message: 'set exactly one of inline or configMapRef' }],
  },
);

const Inventory = Type.Object(
  {
    zombieAfter: Type.Optional(Type.String({ pattern: DURATION_PATTERN, default: '720h', description: 'A declared endpoint without requests for this long is a zombie (Ns | Nm | Nh).' })),
  },
  strict,
);

/**
 * Istio integration (an extension of the contract): with the operator's --istio-provider, an Istio
 * AuthorizationPolicy (action CUSTOM, that provider) is created in the policy's namespace for these workloads, so
 * their sidecars send every request to Palisade. The labels also bind the policy to those workloads at request
 * time when Envoy reports the destination's labels and namespace (see compile.ts).
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
    rules: Type.Optional(Type.Array(Rule, { maxItems: 256 })),
    rateLimits: Type.Optional(
      Type.Array(RateLimit, {
        maxItems: 64,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    inspection: Type.Optional(Inspection),
    pathMatching: Type.Optional(PathMatching),
    bot: Type.Optional(Bot),
    openapi: Type.Optional(OpenApi),
    inventory: Type.Optional(Inventory),
    workloadSelector: Type.Optional(WorkloadSelector),
    destinationPrincipals: Type.Optional(
      Type.Array(PrincipalGlob, {
        maxItems: 256,
        description:
          'SPIFFE principals of the workloads this policy protects (Envoy destination.principal, "*" matches within a segment): a request received by such a workload is judged by this policy whatever its Host header says.',
      }),
    ),
  },
  {
    ...strict,
    'x-kubernetes-validations': [
      {
        rule: "!has(self.rules) || !self.rules.exists(r, has(r.claims)) || (has(self.authentication) && has(self.authentication.jwt))",
        message: CLAIMS_NEED_JWT,
        fieldPath: '.rules',
      },
      {
        rule: "!has(self.rateLimits) || !self.rateLimits.exists(l, l.key.exists(k, k.startsWith('claim:'))) || (has(self.authentication) && has(self.authentication.jwt))",
        message: CLAIM_KEY_NEEDS_JWT,
        fieldPath: '.rateLimits',
      },
    ],
  },
);

/** metav1.Condition as the operator writes it. */
const ConditionSchema = Type.Object({
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
  enforcedGeneration: Type.Optional(Type.Integer({ description: 'Generation the authz-servers are given: the current one, or the last accepted one while the current is refused.' })),
  enforcingReplicas: Type.Optional(Type.String({ description: 'authz-server replicas enforcing that generation / replicas connected, e.g. "2/2".' })),
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

/** Printer columns shown by `kubectl get apipol`. */
export const PRINTER_COLUMNS = [
  { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' },
  { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
  { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].reason', priority: 1 },
  { name: 'Enforced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Enforced")].status' },
  { name: 'Replicas', type: 'string', jsonPath: '.status.enforcingReplicas', description: 'authz-server replicas enforcing the generation in force / connected' },
  { name: 'Generation', type: 'integer', jsonPath: '.metadata.generation' },
  { name: 'Observed', type: 'integer', jsonPath: '.status.observedGeneration', description: 'Generation the status describes; behind Generation = status is stale' },
  { name: 'In-Force', type: 'integer', jsonPath: '.status.enforcedGeneration', description: 'Generation enforced (behind Generation = a refused edit)' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;

/** Re-exported so generators can walk schemas without importing TypeBox themselves. */
export type { TSchema };
