/**
 * The policy compiler: `(policies, secrets, now) -> { snapshot, violations }`. Pure and deterministic: no I/O,
 * no clock but `now`, input order does not matter, and the snapshot version is a hash of its content.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalJson } from './canonical-json.ts';
import { globToRegex, parseDurationMs, pathPatternToRegex } from './patterns.ts';
import { BOT_SCORES_ORDER, CLAIMS_NEED_JWT, CLAIM_KEY_NEEDS_JWT, type PolicyDocument, type PolicySpec } from './schema.ts';
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
  /** creationTimestamp: among Secrets claiming one key, the oldest keeps it (then the name decides). */
  createdAt?: string;
}

/** Policy input: a validated document (from a file or the API server). */
export type PolicyInput = Pick<PolicyDocument, 'metadata' | 'spec'>;

/** A policy refused before compilation (schema errors): it keeps its place in host ownership and its fallback. */
export interface RefusedPolicy {
  metadata: PolicyInput['metadata'];
  /** The hosts it names (the valid-looking strings of spec.hosts), still reserved for it. */
  hosts: string[];
  mode: 'Enforce' | 'Monitor';
  field?: string;
  message: string;
}

/** What the compiler is told besides the policies and Secrets. */
export interface CompileOptions {
  /**
   * By policy id, the last generation whose spec compiled. When the current generation is refused (spec error or
   * host conflict), this one is compiled instead, with the current Secrets, and stays in force.
   */
  lastAccepted?: ReadonlyMap<string, PolicyInput>;
  /** Policies refused by the schema before compilation. */
  refused?: readonly RefusedPolicy[];
}

/** A Secret left out of a policy's keys, and why. */
export interface SecretProblem {
  /** `<namespace>/<name>`. */
  secret: string;
  policy: string;
  reason: 'SecretConflict' | 'SecretMalformed';
  message: string;
}

/** Two policies claiming one host: `owner` keeps it, `claimant` is refused for it. */
export interface HostConflict {
  owner: string;
  claimant: string;
  hosts: string[];
}

/** What the compiler returns: the snapshot of every accepted policy and the problems of the others. */
export interface CompileResult {
  snapshot: Snapshot;
  violations: Violation[];
  /** Policies whose current generation compiled (their spec may become a later `lastAccepted`). */
  accepted: string[];
  secretProblems: SecretProblem[];
  conflicts: HostConflict[];
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
  /** No Secret matched the selector with a usable key. */
  missing: boolean;
  problems: Omit<SecretProblem, 'policy'>[];
}

const CONSUMER = /^[\x21-\x7e]([\x20-\x7e]{0,251}[\x21-\x7e])?$/;

function secretOrder(a: SecretInput, b: SecretInput): number {
  const ta = a.createdAt ? Date.parse(a.createdAt) : Number.POSITIVE_INFINITY;
  const tb = b.createdAt ? Date.parse(b.createdAt) : Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The API keys of a policy: inline keys first, then each selected Secret on its own, oldest first. A Secret
 * without a usable `data.key`, with an unusable `data.consumer`, or whose key is already claimed by another
 * consumer is left out and reported; it never takes the policy down.
 */
function apiKeys(spec: PolicySpec, namespace: string, secrets: SecretInput[]): { keys: CompiledApiKey[] } & SecretOutcome {
  const inline: CompiledApiKey[] = (spec.authentication?.apiKeys?.keys ?? []).map((k) => ({ consumer: k.consumer, sha256: k.sha256, source: 'inline' }));
  const owner = new Map<string, { consumer: string; source: string }>();
  inline.forEach((k, i) => {
    const prior = owner.get(k.sha256);
    if (prior !== undefined && prior.consumer !== k.consumer) {
      throw new SpecError(`spec.authentication.apiKeys.keys[${i}]`, `one key is claimed by consumers "${prior.consumer}" and "${k.consumer}"`);
    }
    owner.set(k.sha256, { consumer: k.consumer, source: 'inline' });
  });
  const selector = spec.authentication?.apiKeys?.secretSelector;
  if (!selector) return { keys: inline, missing: false, problems: [] };
  const matched = secrets.filter((s) => s.namespace === namespace && selectorMatches(selector.matchLabels, s.labels)).sort(secretOrder);
  const fromSecrets: CompiledApiKey[] = [];
  const problems: Omit<SecretProblem, 'policy'>[] = [];
  for (const s of matched) {
    const secret = `${s.namespace}/${s.name}`;
    const key = s.data['key'];
    const consumer = s.data['consumer']?.trim() || s.name;
    if (typeof key !== 'string' || key === '') {
      problems.push({ secret, reason: 'SecretMalformed', message: `Secret ${secret} has no data.key (or it is empty)` });
      continue;
    }
    if (!CONSUMER.test(consumer)) {
      problems.push({ secret, reason: 'SecretMalformed', message: `Secret ${secret}: data.consumer must be 1-253 printable ASCII characters` });
      continue;
    }
    const sha256 = sha256Hex(key);
    const prior = owner.get(sha256);
    if (prior !== undefined && prior.consumer !== consumer) {
      const by = prior.source === 'inline' ? 'an inline key' : `Secret ${prior.source.slice('secret:'.length)}`;
      problems.push({ secret, reason: 'SecretConflict', message: `Secret ${secret} claims a key that ${by} already gives to consumer "${prior.consumer}"` });
      continue;
    }
    if (prior === undefined) owner.set(sha256, { consumer, source: `secret:${secret}` });
    fromSecrets.push({ consumer, sha256, source: `secret:${secret}` });
  }
  return { keys: [...inline, ...fromSecrets], missing: fromSecrets.length === 0, problems };
}

function compileRateLimit(rl: NonNullable<PolicySpec['rateLimits']>[number], i: number, hasJwt: boolean): CompiledRateLimit {
  const field = `spec.rateLimits[${i}]`;
  const key = rl.key.map((k, j) => parseKeyPart(k, `${field}.key[${j}]`));
  key.forEach((k, j) => {
    if (k.kind === 'claim' && !hasJwt) {
      throw new SpecError(`${field}.key[${j}]`, CLAIM_KEY_NEEDS_JWT);
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
    ...(rl.whenKeyPartMissing === 'Skip' ? { skipWhenKeyPartMissing: true as const } : {}),
  };
}

interface Compiled {
  policy: CompiledPolicy;
  secretMissing: boolean;
  secretProblems: Omit<SecretProblem, 'policy'>[];
}

/** Compiles one policy; throws SpecError on the first semantic problem. */
function compilePolicy(doc: PolicyInput, secrets: SecretInput[]): Compiled {
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
    throw new SpecError('spec.bot.challengeScore', BOT_SCORES_ORDER);
  }
  const names = new Set<string>();
  (spec.rateLimits ?? []).forEach((rl, i) => {
    if (names.has(rl.name)) throw new SpecError(`spec.rateLimits[${i}].name`, `duplicate rate limit name "${rl.name}"`);
    names.add(rl.name);
  });

  if (spec.rules?.some((r) => r.claims !== undefined) && !jwtSpec) {
    const i = spec.rules.findIndex((r) => r.claims !== undefined);
    throw new SpecError(`spec.rules[${i}].claims`, CLAIMS_NEED_JWT);
  }
  const { keys: allKeys, missing, problems } = apiKeys(spec, namespace, secrets);
  const apiKeySpec = authn.apiKeys;

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
      session: bot.sessionHeader ? { header: bot.sessionHeader.toLowerCase() } : { cookie: 'session' },
      allow: {
        principals: patterns('spec.bot.allow.principals', bot.allow?.principals, globToRegex) ?? [],
        cidrs: (bot.allow?.cidrs ?? []).map((c, i) => checkCidr(c, `spec.bot.allow.cidrs[${i}]`)),
      },
    },
  };
  return { policy, secretMissing: missing, secretProblems: problems };
}

function idOf(meta: PolicyInput['metadata']): string {
  return `${meta.namespace ?? DEFAULT_NAMESPACE}/${meta.name}`;
}

function timeOf(meta: PolicyInput['metadata']): number {
  return meta.creationTimestamp ? Date.parse(meta.creationTimestamp) : Number.POSITIVE_INFINITY;
}

/** Content hash used as the snapshot version. */
export function snapshotVersion(policies: CompiledPolicy[], hosts: HostIndex): string {
  return `sha256:${createHash('sha256').update(canonicalJson({ policies, hosts })).digest('hex').slice(0, 32)}`;
}

/** One policy on its way through `compile`: its current generation's outcome and its fallback. */
interface Candidate {
  id: string;
  meta: PolicyInput['metadata'];
  /** The hosts it names, whether or not it compiled. */
  hosts: string[];
  mode: 'Enforce' | 'Monitor';
  current: Compiled | { field?: string; message: string };
  fallback: PolicyInput | undefined;
}

function tryCompile(doc: PolicyInput, secrets: SecretInput[]): Compiled | { field: string; message: string } {
  try {
    return compilePolicy(doc, secrets);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return { field: err.field, message: err.message };
  }
}

function isCompiled(c: Compiled | { message: string }): c is Compiled {
  return 'policy' in c;
}

function normaliseHosts(hosts: readonly unknown[]): string[] {
  return [...new Set(hosts.filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase()))].sort();
}

/**
 * Enforce policies claim hosts before Monitor ones (a canary in Monitor mode never takes hosts from an enforcing
 * policy, whatever their ages), then older before newer (equal seconds: namespace/name).
 */
function claimOrder(a: Candidate, b: Candidate): number {
  if (a.mode !== b.mode) return a.mode === 'Enforce' ? -1 : 1;
  const ta = timeOf(a.meta);
  const tb = timeOf(b.meta);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/**
 * Compiles policies and Secrets into a snapshot.
 *
 * - A policy whose current generation is refused (spec error, or a host another policy owns) keeps its last
 *   accepted generation (`options.lastAccepted`) in force, compiled with the current Secrets; without one it is
 *   left out. Either way it is reported.
 * - Host ownership: Enforce before Monitor, then older first. A refused policy with nothing to fall back on
 *   still holds its hosts (they answer `no-policy`), so ownership never moves because the owner became invalid.
 * - Secrets are judged one by one: a malformed or conflicting one is left out and reported, the policy stays.
 */
export function compile(policies: PolicyInput[], secrets: SecretInput[], now: Date, options: CompileOptions = {}): CompileResult {
  const violations: Violation[] = [];
  const secretProblems: SecretProblem[] = [];
  const conflicts: HostConflict[] = [];
  const acceptedIds: string[] = [];
  const included: CompiledPolicy[] = [];
  const seenIds = new Set<string>();
  const hostOwner = new Map<string, string>();
  const lastAccepted = options.lastAccepted ?? new Map<string, PolicyInput>();

  const fallbackOf = (id: string, meta: PolicyInput['metadata']): PolicyInput | undefined => {
    const last = lastAccepted.get(id);
    if (!last) return undefined;
    // a deleted and recreated policy does not inherit its predecessor's spec
    if (last.metadata.uid && meta.uid && last.metadata.uid !== meta.uid) return undefined;
    if ((last.metadata.generation ?? 1) === (meta.generation ?? 1)) return undefined;
    return last;
  };

  const candidates: Candidate[] = [];
  const inputs: Array<{ meta: PolicyInput['metadata']; doc?: PolicyInput; refused?: RefusedPolicy }> = [
    ...policies.map((doc) => ({ meta: doc.metadata, doc })),
    ...(options.refused ?? []).map((refused) => ({ meta: refused.metadata, refused })),
  ].sort((a, b) => (idOf(a.meta) < idOf(b.meta) ? -1 : idOf(a.meta) > idOf(b.meta) ? 1 : timeOf(a.meta) - timeOf(b.meta) || 0));
  for (const input of inputs) {
    const id = idOf(input.meta);
    if (seenIds.has(id)) {
      violations.push({ policy: id, reason: 'InvalidSpec', field: 'metadata.name', message: 'duplicate policy (same namespace and name)', included: false });
      continue;
    }
    seenIds.add(id);
    const fallback = fallbackOf(id, input.meta);
    if (input.doc) {
      const current = tryCompile(input.doc, secrets);
      const fb = isCompiled(current) ? undefined : fallback;
      const mode = isCompiled(current) ? current.policy.mode : (fb?.spec.mode ?? input.doc.spec.mode ?? 'Enforce');
      candidates.push({ id, meta: input.meta, hosts: normaliseHosts(input.doc.spec.hosts), mode, current, fallback });
    } else if (input.refused) {
      const r = input.refused;
      candidates.push({
        id,
        meta: r.metadata,
        hosts: normaliseHosts(r.hosts),
        mode: fallback?.spec.mode ?? r.mode,
        current: { ...(r.field ? { field: r.field } : {}), message: r.message },
        fallback,
      });
    }
  }
  candidates.sort(claimOrder);

  for (const c of candidates) {
    const modeOf = (owner: string) => candidates.find((o) => o.id === owner)?.mode ?? 'Enforce';
    const takenBy = (hosts: readonly string[]) => {
      const taken = hosts.filter((h) => hostOwner.has(h) && hostOwner.get(h) !== c.id);
      return { taken, owners: [...new Set(taken.map((h) => hostOwner.get(h) as string))].sort() };
    };
    // 1. the current generation
    let refusal: { reason: 'InvalidSpec' | 'Conflict'; field?: string; message: string };
    if (isCompiled(c.current)) {
      const { taken, owners } = takenBy(c.current.policy.hosts);
      if (taken.length === 0) {
        admit(c, c.current, null);
        acceptedIds.push(c.id);
        continue;
      }
      for (const owner of owners) conflicts.push({ owner, claimant: c.id, hosts: taken.filter((h) => hostOwner.get(h) === owner) });
      refusal = {
        reason: 'Conflict',
        field: 'spec.hosts',
        message: `host(s) ${taken.join(', ')} claimed by this policy (${c.mode}) are owned by ${owners.map((o) => `${o} (${modeOf(o)})`).join(', ')}, which keeps them`,
      };
    } else {
      refusal = { reason: 'InvalidSpec', ...(c.current.field ? { field: c.current.field } : {}), message: c.current.message };
    }
    // 2. the last accepted generation, with today's Secrets
    if (c.fallback) {
      const fb = tryCompile(c.fallback, secrets);
      if (isCompiled(fb) && takenBy(fb.policy.hosts).taken.length === 0) {
        admit(c, fb, { ...refusal, generation: fb.policy.generation });
        continue;
      }
    }
    // 3. nothing to enforce: left out, but an invalid owner keeps its hosts
    if (refusal.reason === 'InvalidSpec') for (const h of c.hosts) if (!hostOwner.has(h)) hostOwner.set(h, c.id);
    violations.push({ policy: c.id, reason: refusal.reason, ...(refusal.field ? { field: refusal.field } : {}), message: refusal.message, included: false });
  }

  function admit(c: Candidate, compiled: Compiled, refusal: { reason: 'InvalidSpec' | 'Conflict'; field?: string; message: string; generation: number } | null): void {
    for (const h of compiled.policy.hosts) hostOwner.set(h, c.id);
    included.push(compiled.policy);
    const problems = compiled.secretProblems.map((p) => ({ ...p, policy: c.id }));
    secretProblems.push(...problems);
    if (refusal) {
      violations.push({
        policy: c.id,
        reason: refusal.reason,
        ...(refusal.field ? { field: refusal.field } : {}),
        message: `${sentence(refusal.message)} Generation ${refusal.generation} stays in force`,
        included: true,
        enforcedGeneration: refusal.generation,
      });
    } else if (problems.length > 0) {
      violations.push({
        policy: c.id,
        reason: 'SecretRejected',
        field: 'spec.authentication.apiKeys.secretSelector',
        message: `${problems.map((p) => p.message).join('; ')}; ${problems.length === 1 ? 'that Secret is' : 'those Secrets are'} left out, the other keys are active`,
        included: true,
      });
    } else if (compiled.secretMissing) {
      violations.push({
        policy: c.id,
        reason: 'SecretNotFound',
        field: 'spec.authentication.apiKeys.secretSelector',
        message: `no Secret in namespace ${compiled.policy.namespace} with data.key matches the selector; only inline keys are active`,
        included: true,
      });
    }
  }

  included.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const present = new Set(included.map((p) => p.id));
  const exact: Record<string, string> = {};
  const wildcard: Record<string, string> = {};
  for (const [host, id] of [...hostOwner.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!present.has(id)) continue;
    if (host.startsWith('*.')) wildcard[host.slice(1)] = id;
    else exact[host] = id;
  }
  const hosts: HostIndex = { exact, wildcard };
  violations.sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : a.reason.localeCompare(b.reason)));
  secretProblems.sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : a.secret < b.secret ? -1 : a.secret > b.secret ? 1 : 0));
  conflicts.sort((a, b) => (a.claimant < b.claimant ? -1 : a.claimant > b.claimant ? 1 : a.owner < b.owner ? -1 : 1));
  return {
    snapshot: { version: snapshotVersion(included, hosts), compiledAt: now.toISOString(), policies: included, hosts },
    violations,
    accepted: acceptedIds.sort(),
    secretProblems,
    conflicts,
  };
}
