/**
 * The compiled policy snapshot: plain, JSON-serialisable data produced by `compile()` and consumed by the
 * authz-server. Matchers are already translated into anchored regular-expression sources so that the server
 * only instantiates them; credentials appear only as SHA-256 hashes.
 */

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
}

/** Where the session id of a request is read from. */
export type SessionSource = { header: string } | { cookie: string };

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
    apiKeys: { header: string; keys: CompiledApiKey[] } | null;
    jwt: { issuer: string; audiences: string[]; jwks: { keys: Jwk[] } | null; jwksUri: string | null } | null;
  };
  /** null: no rules section, every request passes the access stage. */
  rules: CompiledRule[] | null;
  rateLimits: CompiledRateLimit[];
  inspection: { sqlInjection: boolean; xss: boolean; pathTraversal: boolean };
  bot: {
    mode: 'Enforce' | 'Monitor' | 'Off';
    denyScore: number;
    challengeScore: number;
    session: SessionSource;
    /** Headers carrying TLS client fingerprints; null: the defaults. */
    fingerprintHeaders: string[] | null;
    /** Signal names and families left out of the score. */
    ignoreSignals: string[];
    allow: { principals: CompiledPattern[]; cidrs: string[] };
  };
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
export type ViolationReason = 'InvalidSpec' | 'Conflict' | 'SecretNotFound';

/** A problem with one policy found by the compiler. */
export interface Violation {
  policy: string;
  reason: ViolationReason;
  field?: string;
  message: string;
  /** true when the policy is still part of the snapshot (e.g. SecretNotFound keeps inline keys active). */
  included: boolean;
}
