/**
 * Structural schema of the compiled snapshot (policy/snapshot.ts), used to validate snapshots that arrive from
 * outside the process (the operator stream, the snapshot file) before they are built into a runtime. The type
 * assertions at the bottom make `tsc` fail if this schema and the TypeScript types drift apart.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Snapshot } from '../policy/snapshot.ts';

const strict = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Pattern = Type.Object({ pattern: Type.String(), regex: Type.String() }, strict);

const KeyPart = Type.Union([
  Type.Object({ kind: Type.Literal('clientIP') }, strict),
  Type.Object({ kind: Type.Literal('principal') }, strict),
  Type.Object({ kind: Type.Literal('consumer') }, strict),
  Type.Object({ kind: Type.Literal('session') }, strict),
  Type.Object({ kind: Type.Literal('header'), name: Type.String() }, strict),
  Type.Object({ kind: Type.Literal('claim'), name: Type.String() }, strict),
]);

const ApiKey = Type.Object({ consumer: Type.String(), sha256: Type.String({ pattern: '^[a-f0-9]{64}$' }), source: Type.String() }, strict);

const Jwk = Type.Intersect([Type.Object({ kty: Type.String() }), Type.Record(Type.String(), Type.Unknown())]);

const Rule = Type.Object(
  {
    methods: Nullable(Type.Array(Type.String())),
    paths: Nullable(Type.Array(Pattern)),
    principals: Nullable(Type.Array(Pattern)),
    consumers: Nullable(Type.Array(Type.String())),
    claims: Nullable(Type.Record(Type.String(), Type.String())),
  },
  strict,
);

const RateLimit = Type.Object(
  {
    name: Type.String(),
    methods: Nullable(Type.Array(Type.String())),
    paths: Nullable(Type.Array(Pattern)),
    key: Type.Array(KeyPart, { minItems: 1 }),
    requests: Type.Integer({ minimum: 1 }),
    periodMs: Type.Integer({ minimum: 1 }),
    burst: Type.Integer({ minimum: 0 }),
    skipWhenKeyPartMissing: Type.Optional(Type.Literal(true)),
  },
  strict,
);

const JsonSchema = Type.Union([Type.Boolean(), Type.Record(Type.String(), Type.Unknown())]);

const ApiParam = Type.Object(
  {
    name: Type.String(),
    in: Type.Union([Type.Literal('path'), Type.Literal('query'), Type.Literal('header')]),
    required: Type.Boolean(),
    schema: Nullable(JsonSchema),
    style: Type.String(),
    explode: Type.Boolean(),
    json: Type.Boolean(),
  },
  strict,
);

const ApiOperation = Type.Object(
  {
    method: Type.String(),
    path: Type.String(),
    operationId: Nullable(Type.String()),
    params: Type.Array(ApiParam),
    body: Nullable(Type.Object({ required: Type.Boolean(), content: Type.Array(Type.Object({ mediaType: Type.String(), schema: Nullable(JsonSchema) }, strict)) }, strict)),
  },
  strict,
);

const Api = Type.Object(
  {
    source: Type.String(),
    digest: Type.String(),
    openapi: Type.String(),
    title: Type.String(),
    version: Type.String(),
    mode: Type.Union([Type.Literal('Enforce'), Type.Literal('Monitor')]),
    basePath: Type.String(),
    validateBody: Type.Boolean(),
    operations: Type.Array(ApiOperation),
    defs: Type.Record(Type.String(), JsonSchema),
    unchecked: Type.Array(Type.String()),
  },
  strict,
);

const Policy = Type.Object(
  {
    id: Type.String(),
    namespace: Type.String(),
    name: Type.String(),
    generation: Type.Integer(),
    mode: Type.Union([Type.Literal('Enforce'), Type.Literal('Monitor')]),
    failurePolicy: Type.Union([Type.Literal('FailClosed'), Type.Literal('FailOpen')]),
    hosts: Type.Array(Type.String()),
    identity: Type.Object({ requireMTLS: Type.Boolean(), allowed: Type.Array(Pattern), denied: Type.Array(Pattern) }, strict),
    authentication: Type.Object(
      {
        required: Type.Boolean(),
        rejectBasicAuth: Type.Boolean(),
        apiKeys: Nullable(Type.Object({ header: Type.String(), scheme: Type.Optional(Type.String({ minLength: 1 })), keys: Type.Array(ApiKey) }, strict)),
        jwt: Nullable(
          Type.Object(
            {
              issuer: Type.String(),
              audiences: Type.Array(Type.String()),
              jwks: Nullable(Type.Object({ keys: Type.Array(Jwk) }, strict)),
              jwksUri: Nullable(Type.String()),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    rules: Nullable(Type.Array(Rule)),
    rateLimits: Type.Array(RateLimit),
    inspection: Type.Object(
      {
        sqlInjection: Type.Boolean(),
        xss: Type.Boolean(),
        pathTraversal: Type.Boolean(),
        commandInjection: Type.Boolean(),
        paranoia: Type.Union([Type.Literal('ApiTolerant'), Type.Literal('Strict')]),
        exclusions: Type.Array(
          Type.Object(
            { rules: Nullable(Type.Array(Type.String())), paths: Nullable(Type.Array(Pattern)), locations: Nullable(Type.Array(Type.String())) },
            strict,
          ),
        ),
        maxBodyBytes: Type.Integer({ minimum: 0 }),
        oversizedBody: Type.Union([Type.Literal('Deny'), Type.Literal('Flag')]),
      },
      strict,
    ),
    pathMatching: Type.Object(
      { escapedSlashes: Type.Union([Type.Literal('Reject'), Type.Literal('Unescape'), Type.Literal('Keep')]), caseSensitive: Type.Boolean() },
      strict,
    ),
    workload: Type.Object({ principals: Type.Array(Pattern), labels: Nullable(Type.Record(Type.String(), Type.String())) }, strict),
    bot: Type.Object(
      {
        mode: Type.Union([Type.Literal('Enforce'), Type.Literal('Monitor'), Type.Literal('Off')]),
        denyScore: Type.Integer({ minimum: 0, maximum: 100 }),
        challengeScore: Type.Integer({ minimum: 0, maximum: 100 }),
        session: Type.Union([Type.Object({ header: Type.String() }, strict), Type.Object({ cookie: Type.String() }, strict)]),
        fingerprintHeaders: Nullable(Type.Array(Type.String())),
        ignoreSignals: Type.Array(Type.String()),
        allow: Type.Object({ principals: Type.Array(Pattern), cidrs: Type.Array(Type.String()), searchCrawlers: Type.Boolean() }, strict),
      },
      strict,
    ),
    challenge: Type.Object(
      {
        action: Type.Union([Type.Literal('Challenge'), Type.Literal('Header')]),
        difficulty: Type.Object({ min: Type.Integer({ minimum: 1, maximum: 32 }), max: Type.Integer({ minimum: 1, maximum: 32 }) }, strict),
        passLifetimeSec: Type.Integer({ minimum: 1 }),
        passScoreCredit: Type.Integer({ minimum: 0, maximum: 100 }),
        networkPrefix: Type.Object({ ipv4: Type.Integer({ minimum: 0, maximum: 32 }), ipv6: Type.Integer({ minimum: 0, maximum: 128 }) }, strict),
        exemptPaths: Type.Array(Pattern),
        exemptMethods: Type.Array(Type.String()),
        keys: Nullable(Type.Array(Type.String(), { minItems: 1, maxItems: 2 })),
        keySource: Nullable(Type.String()),
      },
      strict,
    ),
    api: Nullable(Api),
    inventory: Type.Object({ zombieAfterMs: Type.Integer({ minimum: 1 }) }, strict),
  },
  strict,
);

/** The compiled snapshot. */
const CompiledSnapshotSchema = Type.Object(
  {
    version: Type.String({ pattern: '^sha256:[a-f0-9]{32}$' }),
    compiledAt: Type.String(),
    policies: Type.Array(Policy),
    hosts: Type.Object(
      { exact: Type.Record(Type.String(), Type.String()), wildcard: Type.Record(Type.String(), Type.String()) },
      strict,
    ),
  },
  strict,
);

const check = TypeCompiler.Compile(CompiledSnapshotSchema);

/** Checks the shape of an untrusted snapshot; returns the first few problems (JSON pointer + message). */
export function checkSnapshotShape(value: unknown): { ok: true; snapshot: Snapshot } | { ok: false; errors: string[] } {
  if (check.Check(value)) return { ok: true, snapshot: value as Snapshot };
  const errors: string[] = [];
  for (const e of check.Errors(value)) {
    errors.push(`${e.path || '/'}: ${e.message}`);
    if (errors.length >= 5) break;
  }
  return { ok: false, errors };
}

// Compile-time drift check between the schema and policy/snapshot.ts, in both directions.
type Schema = Static<typeof CompiledSnapshotSchema>;
type Assert<T extends true> = T;
export type SchemaMatchesSnapshot = Assert<Schema extends Snapshot ? true : false>;
export type SnapshotMatchesSchema = Assert<Snapshot extends Schema ? true : false>;
