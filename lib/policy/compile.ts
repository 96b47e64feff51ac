/**
 * The policy compiler: `(policies, secrets, now) -> { snapshot, violations }`. Pure and deterministic: no I/O,
 * no clock but `now`, input order does not matter, and the snapshot version is a hash of its content.
 */
import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { canonicalJson } from './canonical-json.ts';
import { OpenApiError, compileOpenApi, descriptionDigest, parseDescriptionText, type CompiledApi } from './openapi.ts';
import { globToRegex, parseDurationMs, pathPatternToRegex } from './patterns.ts';
import { API_KEY_SCHEME_NOT_BASIC, BOT_SCORES_ORDER, CHALLENGE_DEFAULTS, CHALLENGE_KEY_MIN_BYTES, CLAIMS_NEED_JWT, CLAIM_KEY_NEEDS_JWT, DEFAULT_INSPECTED_BODY_BYTES, OPENAPI_CONFIGMAP_LABEL, type PolicyDocument, type PolicySpec } from './schema.ts';
import type {
  CompiledApiKey,
  CompiledChallenge,
  CompiledPattern,
  CompiledPolicy,
  CompiledRateLimit,
  HostIndex,
  Jwk,
  KeyPart,
  Snapshot,
  Violation,
} from './snapshot.ts';
import { compareText } from '../ordering.ts';

/** A Secret as the compiler sees it: `data` already decoded to UTF-8 strings. */
export interface SecretInput {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  data: Record<string, string>;
  /** creationTimestamp: among Secrets claiming one key, the oldest keeps it (then the name decides). */
  createdAt?: string;
}

/** A ConfigMap as the compiler sees it (OpenAPI descriptions): `binaryData` already base64-decoded. */
export interface ConfigMapInput {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  data: Record<string, string>;
  binaryData: Record<string, Uint8Array>;
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
  /** ConfigMaps holding the OpenAPI descriptions policies reference (`spec.openapi.configMapRef`). */
  configMaps?: readonly ConfigMapInput[];
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
  return compareText(a.name, b.name);
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

/**
 * The challenge keys of a policy from its `keySecret`: `data.current`, then `data.previous` when set (surrounding
 * whitespace trimmed). The snapshot carries keys derived per policy, never the Secret's own data. A missing or
 * unusable Secret is reported, and the server-wide key signs meanwhile.
 */
function challengeKeys(name: string | undefined, namespace: string, policyName: string, secrets: SecretInput[]): { keys: string[] | null; source: string | null; problem: string | null } {
  if (name === undefined) return { keys: null, source: null, problem: null };
  const secret = secrets.find((s) => s.namespace === namespace && s.name === name);
  if (!secret) return { keys: null, source: null, problem: `challenge key Secret ${namespace}/${name} not found; the server-wide key signs` };
  const keys = ['current', 'previous'].map((k) => secret.data[k]?.trim() ?? '').filter((k, i) => i === 0 || k !== '');
  const short = keys.findIndex((k) => Buffer.byteLength(k, 'utf8') < CHALLENGE_KEY_MIN_BYTES);
  if (short >= 0) {
    const field = short === 0 ? 'data.current' : 'data.previous';
    return { keys: null, source: null, problem: `challenge key Secret ${namespace}/${name}: ${field} needs at least ${CHALLENGE_KEY_MIN_BYTES} bytes; the server-wide key signs` };
  }
  const policyId = `${namespace}/${policyName}`;
  const derived = [...new Set(keys)].map((k) => createHmac('sha256', k).update(`palisade challenge policy key v1\0${policyId}`).digest('hex'));
  return { keys: derived, source: `secret:${namespace}/${name}`, problem: null };
}

function compileChallenge(bot: NonNullable<PolicySpec['bot']>, namespace: string, policyName: string, secrets: SecretInput[]): { challenge: CompiledChallenge; keyProblem: string | null } {
  const spec = bot.challenge ?? {};
  const min = spec.difficulty?.min ?? CHALLENGE_DEFAULTS.difficulty.min;
  const max = spec.difficulty?.max ?? CHALLENGE_DEFAULTS.difficulty.max;
  if (min > max) throw new SpecError('spec.bot.challenge.difficulty', `difficulty.min (${min}) must not exceed difficulty.max (${max})`);
  const keys = challengeKeys(spec.keySecret, namespace, policyName, secrets);
  return {
    challenge: {
      action: spec.action ?? CHALLENGE_DEFAULTS.action,
      difficulty: { min, max },
      passLifetimeSec: parseDurationMs(spec.passLifetime ?? CHALLENGE_DEFAULTS.passLifetime) / 1000,
      passScoreCredit: spec.passScoreCredit ?? CHALLENGE_DEFAULTS.passScoreCredit,
      networkPrefix: { ipv4: spec.networkPrefix?.ipv4 ?? CHALLENGE_DEFAULTS.networkPrefix.ipv4, ipv6: spec.networkPrefix?.ipv6 ?? CHALLENGE_DEFAULTS.networkPrefix.ipv6 },
      exemptPaths: patterns('spec.bot.challenge.exemptPaths', spec.exemptPaths, pathPatternToRegex) ?? [],
      exemptMethods: [...new Set(spec.exemptMethods ?? CHALLENGE_DEFAULTS.exemptMethods)].sort(),
      keys: keys.keys,
      keySource: keys.source,
    },
    keyProblem: keys.problem,
  };
}

/** Largest description a ConfigMap may hold once decompressed. */
const MAX_DESCRIPTION_BYTES = 64 * 1024 * 1024;

/**
 * Compiled descriptions by content and settings. Compiling is pure, so reusing a result changes nothing but the
 * time: the operator recompiles every policy on any change, and a multi-megabyte description costs seconds
 * (YAML parsing most of all). Only compiled results are kept (a fraction of the description's size), at most
 * MEMO_ENTRIES of them; failures are kept too, so a broken description is not parsed again on every change.
 */
const apiMemo = new Map<string, CompiledApi | OpenApiError | SpecError>();
const MEMO_ENTRIES = 32;

function remember<V>(memo: Map<string, V>, key: string, make: () => V): V {
  const hit = memo.get(key);
  if (hit !== undefined) {
    memo.delete(key);
    memo.set(key, hit);
    return hit;
  }
  const value = make();
  memo.set(key, value);
  if (memo.size > MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
  return value;
}

function descriptionText(cm: ConfigMapInput, key: string, field: string): string {
  const text = cm.data[key];
  if (text !== undefined) return text;
  const bin = cm.binaryData[key];
  if (bin === undefined) {
    const keys = [...Object.keys(cm.data), ...Object.keys(cm.binaryData)].sort();
    throw new SpecError(field, `ConfigMap ${cm.namespace}/${cm.name} has no key "${key}" (keys: ${keys.join(', ') || 'none'})`);
  }
  if (bin.length >= 2 && bin[0] === 0x1f && bin[1] === 0x8b) {
    try {
      return gunzipSync(bin, { maxOutputLength: MAX_DESCRIPTION_BYTES }).toString('utf8');
    } catch (err) {
      throw new SpecError(field, `ConfigMap ${cm.namespace}/${cm.name} key "${key}": cannot decompress: ${(err as Error).message}`);
    }
  }
  return Buffer.from(bin).toString('utf8');
}

function compileApi(spec: NonNullable<PolicySpec['openapi']>, namespace: string, configMaps: readonly ConfigMapInput[]): CompiledApi {
  const settings = { mode: spec.mode ?? 'Enforce', validateBody: spec.validateBody ?? true, ...(spec.basePath !== undefined ? { basePath: spec.basePath } : {}) } as const;
  let field: string;
  let source: string;
  if ((spec.inline === undefined) === (spec.configMapRef === undefined)) throw new SpecError('spec.openapi', 'set exactly one of inline or configMapRef');
  let compiled: CompiledApi | OpenApiError | SpecError;
  const options = canonicalJson(settings);
  const attempt = (make: () => { doc: unknown; digest: string }) => {
    try {
      const { doc, digest } = make();
      return compileOpenApi(doc, { ...settings, source, digest });
    } catch (err) {
      if (err instanceof OpenApiError || err instanceof SpecError) return err;
      throw err;
    }
  };
  if (spec.configMapRef) {
    const { name, key = 'openapi.yaml' } = spec.configMapRef;
    field = 'spec.openapi.configMapRef';
    source = `configmap:${namespace}/${name}/${key}`;
    const cm = configMaps.find((c) => c.namespace === namespace && c.name === name);
    if (!cm) throw new SpecError(field, `ConfigMap ${namespace}/${name} not found (it needs the label ${OPENAPI_CONFIGMAP_LABEL})`);
    const text = descriptionText(cm, key, field);
    const hash = createHash('sha256').update(text).digest('hex');
    compiled = remember(apiMemo, `text ${hash} ${source} ${options}`, () =>
      attempt(() => {
        let doc: unknown;
        try {
          doc = parseDescriptionText(text);
        } catch (err) {
          throw new SpecError(field, `${source}: not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
        }
        return { doc, digest: descriptionDigest(doc) };
      }),
    );
  } else {
    field = 'spec.openapi.inline';
    source = 'inline';
    const doc = spec.inline;
    const digest = descriptionDigest(doc);
    compiled = remember(apiMemo, `doc ${digest} ${source} ${options}`, () => attempt(() => ({ doc, digest })));
  }
  if (compiled instanceof SpecError) throw compiled;
  if (compiled instanceof OpenApiError) throw new SpecError(field, `${source === 'inline' ? '' : `${source}: `}at ${compiled.pointer || '/'}: ${compiled.message}`);
  return compiled;
}

interface Compiled {
  policy: CompiledPolicy;
  secretMissing: boolean;
  secretProblems: Omit<SecretProblem, 'policy'>[];
  /** Why the policy's challenge key Secret is not used (the server-wide key signs meanwhile). */
  challengeKeyProblem: string | null;
}

/** Compiles one policy; throws SpecError on the first semantic problem. */
function compilePolicy(doc: PolicyInput, secrets: SecretInput[], configMaps: readonly ConfigMapInput[]): Compiled {
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
  if (bot.sessionHeader && bot.sessionCookie) throw new SpecError('spec.bot.sessionCookie', 'sessionHeader and sessionCookie are exclusive');
  const names = new Set<string>();
  (spec.rateLimits ?? []).forEach((rl, i) => {
    if (names.has(rl.name)) throw new SpecError(`spec.rateLimits[${i}].name`, `duplicate rate limit name "${rl.name}"`);
    names.add(rl.name);
  });

  if (authn.apiKeys?.scheme?.toLowerCase() === 'basic') throw new SpecError('spec.authentication.apiKeys.scheme', API_KEY_SCHEME_NOT_BASIC);
  if (spec.rules?.some((r) => r.claims !== undefined) && !jwtSpec) {
    const i = spec.rules.findIndex((r) => r.claims !== undefined);
    throw new SpecError(`spec.rules[${i}].claims`, CLAIMS_NEED_JWT);
  }
  const { keys: allKeys, missing, problems } = apiKeys(spec, namespace, secrets);
  const { challenge, keyProblem } = compileChallenge(bot, namespace, name, secrets);
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
            header: (apiKeySpec.header ?? (apiKeySpec.scheme ? 'authorization' : 'x-api-key')).toLowerCase(),
            ...(apiKeySpec.scheme ? { scheme: apiKeySpec.scheme.toLowerCase() } : {}),
            keys: allKeys.sort((a, b) => compareText(a.sha256, b.sha256) || compareText(a.source, b.source)),
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
      commandInjection: spec.inspection?.commandInjection ?? false,
      paranoia: spec.inspection?.paranoia ?? 'ApiTolerant',
      exclusions: (spec.inspection?.exclusions ?? []).map((e, i) => {
        const field = `spec.inspection.exclusions[${i}]`;
        if (e.rules === undefined && e.paths === undefined && e.locations === undefined) {
          throw new SpecError(field, 'an exclusion needs rules, paths or locations (an empty one would turn inspection off)');
        }
        return {
          rules: e.rules ? [...new Set(e.rules)].sort() : null,
          paths: patterns(`${field}.paths`, e.paths, pathPatternToRegex),
          locations: e.locations ? [...new Set(e.locations)].sort() : null,
        };
      }),
      maxBodyBytes: spec.inspection?.maxBodyBytes ?? DEFAULT_INSPECTED_BODY_BYTES,
      oversizedBody: spec.inspection?.oversizedBody ?? 'Deny',
    },
    pathMatching: {
      escapedSlashes: spec.pathMatching?.escapedSlashes ?? 'Reject',
      caseSensitive: spec.pathMatching?.caseSensitive ?? true,
    },
    workload: {
      principals: patterns('spec.destinationPrincipals', spec.destinationPrincipals, globToRegex) ?? [],
      labels: spec.workloadSelector ? Object.fromEntries(Object.entries(spec.workloadSelector.matchLabels).sort(([a], [b]) => compareText(a, b))) : null,
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
        searchCrawlers: bot.allow?.searchCrawlers ?? true,
      },
    },
    challenge,
    api: spec.openapi ? compileApi(spec.openapi, namespace, configMaps) : null,
    inventory: { zombieAfterMs: parseDurationMs(spec.inventory?.zombieAfter ?? '720h') },
  };
  return { policy, secretMissing: missing, secretProblems: problems, challengeKeyProblem: keyProblem };
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

function tryCompile(doc: PolicyInput, secrets: SecretInput[], configMaps: readonly ConfigMapInput[]): Compiled | { field: string; message: string } {
  try {
    return compilePolicy(doc, secrets, configMaps);
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
  return compareText(a.id, b.id);
}

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/**
 * Compiles policies, Secrets and the ConfigMaps holding OpenAPI descriptions (`options.configMaps`) into a
 * snapshot.
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
  const configMaps = options.configMaps ?? [];

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
      const current = tryCompile(input.doc, secrets, configMaps);
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
      const fb = tryCompile(c.fallback, secrets, configMaps);
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
    if (!refusal && compiled.challengeKeyProblem) {
      violations.push({ policy: c.id, reason: 'SecretNotFound', field: 'spec.bot.challenge.keySecret', message: compiled.challengeKeyProblem, included: true });
    }
  }

  included.sort((a, b) => compareText(a.id, b.id));
  const present = new Set(included.map((p) => p.id));
  const exact: Record<string, string> = {};
  const wildcard: Record<string, string> = {};
  for (const [host, id] of [...hostOwner.entries()].sort(([a], [b]) => compareText(a, b))) {
    if (!present.has(id)) continue;
    if (host.startsWith('*.')) wildcard[host.slice(1)] = id;
    else exact[host] = id;
  }
  const hosts: HostIndex = { exact, wildcard };
  violations.sort((a, b) => compareText(a.policy, b.policy) || compareText(a.reason, b.reason));
  secretProblems.sort((a, b) => compareText(a.policy, b.policy) || compareText(a.secret, b.secret));
  conflicts.sort((a, b) => (a.claimant < b.claimant ? -1 : a.claimant > b.claimant ? 1 : a.owner < b.owner ? -1 : 1));
  return {
    snapshot: { version: snapshotVersion(included, hosts), compiledAt: now.toISOString(), policies: included, hosts },
    violations,
    accepted: acceptedIds.sort(),
    secretProblems,
    conflicts,
  };
}
