/**
 * The policy compiler: `(policies, secrets, now) -> { snapshot, violations }`. Pure and deterministic: no I/O,
 * no clock but `now`, input order does not matter, and the snapshot version is a hash of its content.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalJson } from './canonical-json.ts';
import { globToRegex, parseDurationMs, pathPatternToRegex } from './patterns.ts';
import type { PolicyDocument, PolicySpec } from './schema.ts';
import type {
  CompiledApiKey,
  CompiledPattern,
  CompiledPolicy,
  CompiledRateLimit,
  HostIndex,
  Jwk,
  KeyPart,
  Snapshot,
  Violation,
} from './snapshot.ts';

/** A Secret as the compiler sees it: `data` already decoded to UTF-8 strings. */
export interface SecretInput {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  data: Record<string, string>;
}

/** Policy input: a validated document (from a file or the API server). */
export type PolicyInput = Pick<PolicyDocument, 'metadata' | 'spec'>;

/** What the compiler returns: the snapshot of every accepted policy and the problems of the others. */
export interface CompileResult {
  snapshot: Snapshot;
  violations: Violation[];
}

/** Default namespace for documents without one (files), as kubectl does. */
export const DEFAULT_NAMESPACE = 'default';

class SpecError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function patterns(field: string, list: string[] | undefined, translate: (p: string) => string): CompiledPattern[] | null {
  if (list === undefined) return null;
  return [...new Set(list)].map((pattern, i) => {
    try {
      return { pattern, regex: translate(pattern) };
    } catch (err) {
      throw new SpecError(`${field}[${i}]`, (err as Error).message);
    }
  });
}

function parseKeyPart(raw: string, field: string): KeyPart {
  if (raw === 'clientIP' || raw === 'principal' || raw === 'consumer' || raw === 'session') return { kind: raw };
  if (raw.startsWith('header:')) return { kind: 'header', name: raw.slice('header:'.length).toLowerCase() };
  if (raw.startsWith('claim:')) return { kind: 'claim', name: raw.slice('claim:'.length) };
  throw new SpecError(field, `unknown key part ${JSON.stringify(raw)}`);
}

function checkCidr(cidr: string, field: string): string {
  const [addr, bits, extra] = cidr.split('/');
  const family = isIP(addr ?? '');
  const n = Number(bits);
  if (extra !== undefined || family === 0 || !Number.isInteger(n) || n < 0 || n > (family === 4 ? 32 : 128)) {
    throw new SpecError(field, `invalid CIDR ${JSON.stringify(cidr)}`);
  }
  return cidr.toLowerCase();
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

interface SecretOutcome {
  keys: CompiledApiKey[];
  missing: boolean;
}

function secretKeys(spec: PolicySpec, namespace: string, secrets: SecretInput[]): SecretOutcome {
  const selector = spec.authentication?.apiKeys?.secretSelector;
  if (!selector) return { keys: [], missing: false };
  const matched = secrets
    .filter((s) => s.namespace === namespace && selectorMatches(selector.matchLabels, s.labels))
    .filter((s) => typeof s.data['key'] === 'string' && s.data['key'] !== '')
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    keys: matched.map((s) => ({
      consumer: s.data['consumer']?.trim() || s.name,
      sha256: sha256Hex(s.data['key'] as string),
      source: `secret:${s.namespace}/${s.name}`,
    })),
    missing: matched.length === 0,
  };
}

function compileRateLimit(rl: NonNullable<PolicySpec['rateLimits']>[number], i: number, hasJwt: boolean): CompiledRateLimit {
  const field = `spec.rateLimits[${i}]`;
  const key = rl.key.map((k, j) => parseKeyPart(k, `${field}.key[${j}]`));
  key.forEach((k, j) => {
    if (k.kind === 'claim' && !hasJwt) {
      throw new SpecError(`${field}.key[${j}]`, `"claim:${k.name}" needs spec.authentication.jwt`);
    }
  });
  return {
    name: rl.name,
    methods: rl.methods ? [...new Set(rl.methods)].sort() : null,
    paths: patterns(`${field}.paths`, rl.paths, pathPatternToRegex),
    key,
    requests: rl.requests,
    periodMs: parseDurationMs(rl.period),
    burst: rl.burst ?? 0,
  };
}

/** Compiles one policy; throws SpecError on the first semantic problem. */
function compilePolicy(doc: PolicyInput, secrets: SecretInput[]): { policy: CompiledPolicy; secretMissing: boolean } {
  const spec = doc.spec;
  const namespace = doc.metadata.namespace ?? DEFAULT_NAMESPACE;
  const name = doc.metadata.name;
  const authn = spec.authentication ?? {};
  const jwtSpec = authn.jwt;
  if (jwtSpec && (jwtSpec.jwks === undefined) === (jwtSpec.jwksUri === undefined)) {
    throw new SpecError('spec.authentication.jwt', 'set exactly one of jwks or jwksUri');
  }
  const bot = spec.bot ?? {};
  const denyScore = bot.denyScore ?? 80;
  const challengeScore = bot.challengeScore ?? 50;
  if (challengeScore > denyScore) {
    throw new SpecError('spec.bot.challengeScore', `challengeScore (${challengeScore}) must not exceed denyScore (${denyScore})`);
  }
  if (bot.sessionHeader && bot.sessionCookie) throw new SpecError('spec.bot.sessionCookie', 'sessionHeader and sessionCookie are exclusive');
  const names = new Set<string>();
  (spec.rateLimits ?? []).forEach((rl, i) => {
    if (names.has(rl.name)) throw new SpecError(`spec.rateLimits[${i}].name`, `duplicate rate limit name "${rl.name}"`);
    names.add(rl.name);
  });

  const { keys: fromSecrets, missing } = secretKeys(spec, namespace, secrets);
  const apiKeySpec = authn.apiKeys;
  const inline: CompiledApiKey[] = (apiKeySpec?.keys ?? []).map((k) => ({ consumer: k.consumer, sha256: k.sha256, source: 'inline' }));
  const allKeys = [...inline, ...fromSecrets];
  const seenHashes = new Map<string, string>();
  allKeys.forEach((k) => {
    const prior = seenHashes.get(k.sha256);
    if (prior !== undefined && prior !== k.consumer) {
      throw new SpecError('spec.authentication.apiKeys', `one key is claimed by consumers "${prior}" and "${k.consumer}"`);
    }
    seenHashes.set(k.sha256, k.consumer);
  });

  const policy: CompiledPolicy = {
    id: `${namespace}/${name}`,
    namespace,
    name,
    generation: doc.metadata.generation ?? 1,
    mode: spec.mode ?? 'Enforce',
    failurePolicy: spec.failurePolicy ?? 'FailClosed',
    hosts: [...new Set(spec.hosts.map((h) => h.toLowerCase()))].sort(),
    identity: {
      requireMTLS: spec.identity?.requireMTLS ?? false,
      allowed: patterns('spec.identity.allowedPrincipals', spec.identity?.allowedPrincipals, globToRegex) ?? [],
      denied: patterns('spec.identity.deniedPrincipals', spec.identity?.deniedPrincipals, globToRegex) ?? [],
    },
    authentication: {
      required: authn.required ?? false,
      rejectBasicAuth: authn.rejectBasicAuth ?? true,
      apiKeys: apiKeySpec
        ? {
            header: (apiKeySpec.header ?? 'x-api-key').toLowerCase(),
            keys: allKeys.sort((a, b) => a.sha256.localeCompare(b.sha256) || a.source.localeCompare(b.source)),
          }
        : null,
      jwt: jwtSpec
        ? {
            issuer: jwtSpec.issuer,
            audiences: [...new Set(jwtSpec.audiences ?? [])].sort(),
            jwks: jwtSpec.jwks ? { keys: jwtSpec.jwks.keys as Jwk[] } : null,
            jwksUri: jwtSpec.jwksUri ?? null,
          }
        : null,
    },
    rules:
      spec.rules === undefined
        ? null
        : spec.rules.map((r, i) => ({
            methods: r.methods ? [...new Set(r.methods)].sort() : null,
            paths: patterns(`spec.rules[${i}].paths`, r.paths, pathPatternToRegex),
            principals: patterns(`spec.rules[${i}].principals`, r.principals, globToRegex),
            consumers: r.consumers ? [...new Set(r.consumers)].sort() : null,
            claims: r.claims ?? null,
          })),
    rateLimits: (spec.rateLimits ?? []).map((rl, i) => compileRateLimit(rl, i, jwtSpec !== undefined)),
    inspection: {
      sqlInjection: spec.inspection?.sqlInjection ?? false,
      xss: spec.inspection?.xss ?? false,
      pathTraversal: spec.inspection?.pathTraversal ?? false,
    },
    bot: {
      mode: bot.mode ?? 'Off',
      denyScore,
      challengeScore,
      session: bot.sessionHeader ? { header: bot.sessionHeader.toLowerCase() } : { cookie: bot.sessionCookie ?? 'session' },
      fingerprintHeaders: bot.fingerprintHeaders ? [...new Set(bot.fingerprintHeaders.map((h) => h.toLowerCase()))] : null,
      ignoreSignals: [...new Set(bot.ignoreSignals ?? [])].sort(),
      allow: {
        principals: patterns('spec.bot.allow.principals', bot.allow?.principals, globToRegex) ?? [],
        cidrs: (bot.allow?.cidrs ?? []).map((c, i) => checkCidr(c, `spec.bot.allow.cidrs[${i}]`)),
      },
    },
  };
  return { policy, secretMissing: missing };
}

/** Age order for conflict resolution: older creationTimestamp first, then namespace/name. */
function ageOrder(a: PolicyInput, b: PolicyInput): number {
  const ta = a.metadata.creationTimestamp ? Date.parse(a.metadata.creationTimestamp) : Number.POSITIVE_INFINITY;
  const tb = b.metadata.creationTimestamp ? Date.parse(b.metadata.creationTimestamp) : Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ida = `${a.metadata.namespace ?? DEFAULT_NAMESPACE}/${a.metadata.name}`;
  const idb = `${b.metadata.namespace ?? DEFAULT_NAMESPACE}/${b.metadata.name}`;
  return ida < idb ? -1 : ida > idb ? 1 : 0;
}

/** Content hash used as the snapshot version. */
export function snapshotVersion(policies: CompiledPolicy[], hosts: HostIndex): string {
  return `sha256:${createHash('sha256').update(canonicalJson({ policies, hosts })).digest('hex').slice(0, 32)}`;
}

/**
 * Compiles policies and Secrets into a snapshot. Policies with spec errors, or that lose a host conflict, are
 * left out and reported; a policy whose secretSelector matches nothing stays in with its inline keys and is
 * reported as SecretNotFound.
 */
export function compile(policies: PolicyInput[], secrets: SecretInput[], now: Date): CompileResult {
  const violations: Violation[] = [];
  const ordered = [...policies].sort(ageOrder);
  const accepted: CompiledPolicy[] = [];
  const seenIds = new Set<string>();
  const hostOwner = new Map<string, string>();

  for (const doc of ordered) {
    const id = `${doc.metadata.namespace ?? DEFAULT_NAMESPACE}/${doc.metadata.name}`;
    if (seenIds.has(id)) {
      violations.push({ policy: id, reason: 'InvalidSpec', field: 'metadata.name', message: 'duplicate policy (same namespace and name)', included: false });
      continue;
    }
    seenIds.add(id);
    let compiled: { policy: CompiledPolicy; secretMissing: boolean };
    try {
      compiled = compilePolicy(doc, secrets);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      violations.push({ policy: id, reason: 'InvalidSpec', field: err.field, message: err.message, included: false });
      continue;
    }
    const taken = compiled.policy.hosts.filter((h) => hostOwner.has(h));
    if (taken.length > 0) {
      const owners = [...new Set(taken.map((h) => hostOwner.get(h)))].join(', ');
      violations.push({
        policy: id,
        reason: 'Conflict',
        field: 'spec.hosts',
        message: `host(s) ${taken.join(', ')} already claimed by older policy ${owners}`,
        included: false,
      });
      continue;
    }
    for (const h of compiled.policy.hosts) hostOwner.set(h, id);
    if (compiled.secretMissing) {
      violations.push({
        policy: id,
        reason: 'SecretNotFound',
        field: 'spec.authentication.apiKeys.secretSelector',
        message: `no Secret in namespace ${compiled.policy.namespace} with data.key matches the selector; only inline keys are active`,
        included: true,
      });
    }
    accepted.push(compiled.policy);
  }

  accepted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const exact: Record<string, string> = {};
  const wildcard: Record<string, string> = {};
  for (const [host, id] of [...hostOwner.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (host.startsWith('*.')) wildcard[host.slice(1)] = id;
    else exact[host] = id;
  }
  const hosts: HostIndex = { exact, wildcard };
  violations.sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : a.reason.localeCompare(b.reason)));
  return {
    snapshot: { version: snapshotVersion(accepted, hosts), compiledAt: now.toISOString(), policies: accepted, hosts },
    violations,
  };
}
