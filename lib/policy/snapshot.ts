/**
 * The compiled policy snapshot: plain, JSON-serialisable data produced by `compile()` and consumed by the
 * authz-server. Matchers are already translated into anchored regular-expression sources so that the server
 * only instantiates them; credentials appear only as SHA-256 hashes.
 */
import type { CompiledApi } from './openapi.ts';

export type { CompiledApi } from './openapi.ts';

/** A glob (principal) or path pattern with its compiled, anchored regex source. */
export interface CompiledPattern {
  pattern: string;
  regex: string;
}

/** One element of a rate-limit key. */
export type KeyPart =
  | { kind: 'clientIP' }
  | { kind: 'principal' }
  | { kind: 'consumer' }
  | { kind: 'session' }
  | { kind: 'header'; name: string }
  | { kind: 'claim'; name: string };

/** An API key known by hash only. */
export interface CompiledApiKey {
  consumer: string;
  sha256: string;
  /** `inline` or `secret:<namespace>/<name>`. */
  source: string;
}

/** A JSON Web Key as published in a JWKS document (opaque here, checked by jose at load). */
export type Jwk = { kty: string } & Record<string, unknown>;

export interface CompiledRule {
  methods: string[] | null;
  paths: CompiledPattern[] | null;
  principals: CompiledPattern[] | null;
  consumers: string[] | null;
  claims: Record<string, string> | null;
}

export interface CompiledRateLimit {
  name: string;
  methods: string[] | null;
  paths: CompiledPattern[] | null;
  key: KeyPart[];
  requests: number;
  periodMs: number;
  burst: number;
  /** Set when requests lacking a key part are not limited by this limit (absent: they share one bucket). */
  skipWhenKeyPartMissing?: true;
}

/** Where the session id of a request is read from. */
export type SessionSource = { header: string } | { cookie: string };

/** What a challenge verdict does (from `bot.challenge`, defaults applied). */
export interface CompiledChallenge {
  action: 'Challenge' | 'Header';
  difficulty: { min: number; max: number };
  passLifetimeSec: number;
  passScoreCredit: number;
  networkPrefix: { ipv4: number; ipv6: number };
  exemptPaths: CompiledPattern[];
  exemptMethods: string[];
  /**
   * Signing keys derived for this policy from `keySecret` (current first, then previous), or null: the server-wide
   * key signs. Whoever reads them can forge passes for this policy: protect the snapshot like a Secret.
   */
  keys: string[] | null;
  /** `secret:<namespace>/<name>` when keys came from a Secret. */
  keySource: string | null;
}

export interface CompiledPolicy {
  /** `<namespace>/<name>`. */
  id: string;
  namespace: string;
  name: string;
  generation: number;
  mode: 'Enforce' | 'Monitor';
  failurePolicy: 'FailClosed' | 'FailOpen';
  hosts: string[];
  identity: { requireMTLS: boolean; allowed: CompiledPattern[]; denied: CompiledPattern[] };
  authentication: {
    required: boolean;
    rejectBasicAuth: boolean;
    /** scheme: present only when set (the key comes as "<scheme> <key>"), in lower case. */
    apiKeys: { header: string; scheme?: string; keys: CompiledApiKey[] } | null;
    jwt: { issuer: string; audiences: string[]; jwks: { keys: Jwk[] } | null; jwksUri: string | null } | null;
  };
  /** null: no rules section, every request passes the access stage. */
  rules: CompiledRule[] | null;
  rateLimits: CompiledRateLimit[];
  inspection: CompiledInspection;
  /** How the upstream reads paths (rules and rate limits match the path as it does). */
  pathMatching: { escapedSlashes: 'Reject' | 'Unescape' | 'Keep'; caseSensitive: boolean };
  /**
   * The workloads this policy is bound to: a request received by one of them is judged by this policy whatever its
   * Host says. `principals` match Envoy's destination.principal; `labels` (spec.workloadSelector) match
   * destination.labels of a workload in the policy's namespace. Unbound when both are empty.
   */
  workload: { principals: CompiledPattern[]; labels: Record<string, string> | null };
  bot: {
    mode: 'Enforce' | 'Monitor' | 'Off';
    denyScore: number;
    challengeScore: number;
    session: SessionSource;
    /** Headers carrying TLS client fingerprints; null: the defaults. */
    fingerprintHeaders: string[] | null;
    /** Signal names and families left out of the score. */
    ignoreSignals: string[];
    allow: { principals: CompiledPattern[]; cidrs: string[]; searchCrawlers: boolean };
  };
  challenge: CompiledChallenge;
  /** The API description requests are validated against; null when the policy references none. */
  api: CompiledApi | null;
  /** API inventory settings. */
  inventory: { zombieAfterMs: number };
}

/** Request inspection settings; `null` in an exclusion means "every". */
export interface CompiledInspection {
  sqlInjection: boolean;
  xss: boolean;
  pathTraversal: boolean;
  commandInjection: boolean;
  /** Bytes of the decoded body that are inspected. */
  maxBodyBytes: number;
  /** What happens to a body that is not inspected whole. */
  oversizedBody: 'Deny' | 'Flag';
  paranoia: 'ApiTolerant' | 'Strict';
  exclusions: Array<{ rules: string[] | null; paths: CompiledPattern[] | null; locations: string[] | null }>;
}

/** Host -> policy id lookup. Exact hosts win over wildcards; the longest wildcard suffix wins. */
export interface HostIndex {
  exact: Record<string, string>;
  /** Suffix including the leading dot (".example.org") -> policy id. */
  wildcard: Record<string, string>;
}

/** The whole compiled state the authz-server enforces. */
export interface Snapshot {
  /** Content hash of `policies` + `hosts`: equal content, equal version. */
  version: string;
  /** When it was compiled (not part of the hash). */
  compiledAt: string;
  policies: CompiledPolicy[];
  hosts: HostIndex;
}

/** Why a policy is not (fully) accepted. */
export type ViolationReason = 'InvalidSpec' | 'Conflict' | 'SecretRejected' | 'SecretNotFound';

/** A problem with one policy found by the compiler. */
export interface Violation {
  policy: string;
  reason: ViolationReason;
  field?: string;
  message: string;
  /** true when the policy is still part of the snapshot (e.g. SecretNotFound keeps inline keys active). */
  included: boolean;
  /** Set when the current generation is refused and this earlier, accepted generation is enforced instead. */
  enforcedGeneration?: number;
}
