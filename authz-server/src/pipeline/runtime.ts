/**
 * The runtime form of a snapshot: regexes instantiated, API keys in a hash map, JWT key sets ready, CIDRs in a
 * BlockList. Built once per snapshot and never mutated; the server swaps the whole Runtime at once. Building it
 * validates the snapshot (bad regex, bad JWK, bad CIDR throw), so a broken snapshot is refused and the last good
 * one stays in force.
 */
import { BlockList, isIP } from 'node:net';
import type { JWTVerifyGetKey, JSONWebKeySet } from 'jose';
import { jose } from '../../../lib/process/lazy-module.ts';
import type { CompiledApi, CompiledPattern, CompiledPolicy, KeyPart, Snapshot } from '../../../lib/policy/snapshot.ts';
import type { InspectionExclusion, InspectionOptions } from '../inspection/inspect.ts';
import type { ChallengeConfig } from '../challenge/flow.ts';
import { ephemeralKeyring, keyringFrom, type Keyring } from '../challenge/keyring.ts';
import { ApiValidator } from '../openapi/validator.ts';
import { compareText } from '../../../lib/ordering.ts';

/** A compiled pattern with its RegExp. */
export interface Matcher {
  pattern: string;
  re: RegExp;
}

/** The first matcher that matches `value`. */
export function anyMatch(list: readonly Matcher[], value: string): Matcher | undefined {
  return list.find((m) => m.re.test(value));
}

export interface RuntimeRule {
  methods: Set<string> | null;
  paths: Matcher[] | null;
  principals: Matcher[] | null;
  consumers: Set<string> | null;
  claims: Array<[string, string]> | null;
}

export interface RuntimeRateLimit {
  name: string;
  methods: Set<string> | null;
  paths: Matcher[] | null;
  key: KeyPart[];
  requests: number;
  periodMs: number;
  burst: number;
  /** Requests lacking a key part are not limited (else they share one bucket). */
  skipWhenKeyPartMissing: boolean;
}

/** Everything one policy needs at request time. */
export interface RuntimePolicy {
  source: CompiledPolicy;
  id: string;
  monitor: boolean;
  failOpen: boolean;
  identity: { requireMTLS: boolean; allowed: Matcher[]; denied: Matcher[] };
  /** scheme: the lower-case scheme the key comes after ("bearer"), null when the header's whole value is the key. */
  apiKeys: { header: string; scheme: string | null; byHash: Map<string, string> } | null;
  jwt: { issuer: string; audiences: string[]; keys: JWTVerifyGetKey; realm: string } | null;
  required: boolean;
  rejectBasicAuth: boolean;
  rules: RuntimeRule[] | null;
  rateLimits: RuntimeRateLimit[];
  inspection: InspectionOptions & { maxBodyBytes: number; oversizedBody: CompiledPolicy['inspection']['oversizedBody'] };
  anyInspection: boolean;
  pathMatching: CompiledPolicy['pathMatching'];
  bot: CompiledPolicy['bot'] & { allowPrincipals: Matcher[]; allowCidrs: BlockList };
  /** Challenge settings where a challenge verdict challenges; null where it only sets the verdict header. */
  challenge: ChallengeConfig | null;
  /** Why challenges are off ("" when they are on), for the trace. */
  challengeOff: string;
  /** The API description requests are validated against (its mode is the policy's `openapi.mode`). */
  api: { validator: ApiValidator; mode: CompiledApi['mode'] } | null;
  /** The workloads the policy is bound to (destination principals, or labels in its namespace). */
  workload: { principals: Matcher[]; labels: Array<[string, string]> | null };
}

/** The workload that receives the request, as Envoy reports it (`attributes.destination`). */
export interface Destination {
  /** SPIFFE URI of the receiving workload's certificate ("" when unknown). */
  principal: string;
  /** The receiving workload's labels (Envoy's bootstrap_metadata_labels_key), empty when not reported. */
  labels: ReadonlyMap<string, string>;
}

/** Which policy judges a request, and why; `policy` null = no policy (the request is denied `no-policy`). */
export type PolicySelection = { policy: RuntimePolicy; detail: string } | { policy: null; detail: string };

/** A snapshot ready to serve. */
export interface Runtime {
  version: string;
  compiledAt: string;
  loadedAt: number;
  policies: Map<string, RuntimePolicy>;
  /** The hosts the snapshot covers: exact ones and "*.suffix" wildcards. */
  hosts: readonly string[];
  /** Finds the policy for a normalised host: exact first, then the longest wildcard suffix. */
  policyFor(host: string): RuntimePolicy | undefined;
  /**
   * The policy for a request: when policies are bound to the receiving workload, one of them (the Host's if it is
   * among them, the only one otherwise), so a Host header cannot move a request under another workload's policy;
   * else the Host's policy.
   */
  select(host: string, destination: Destination): PolicySelection;
}

/** The `ns` of a SPIFFE URI of Istio's shape (spiffe://<trust domain>/ns/<ns>/sa/<sa>), or null. */
export function spiffeNamespace(principal: string): string | null {
  return /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/.exec(principal)?.[1] ?? null;
}

/**
 * True when `policy` is bound to the destination: its principal matches one of the policy's destination
 * principals, or the destination's labels include the policy's workloadSelector and the destination is in the
 * policy's namespace (known from its principal; labels alone do not say which namespace a workload is in).
 */
function boundTo(policy: RuntimePolicy, destination: Destination): boolean {
  const { principal, labels } = destination;
  if (principal !== '' && anyMatch(policy.workload.principals, principal)) return true;
  const selector = policy.workload.labels;
  if (selector === null || labels.size === 0 || spiffeNamespace(principal) !== policy.source.namespace) return false;
  return selector.every(([k, v]) => labels.get(k) === v);
}

/**
 * Compiles the API validators of a runtime in the background, a few milliseconds at a time between Checks, so
 * that no request pays an operation's first compile; stops when `current()` says the runtime was replaced.
 * Resolves with the number of APIs compiled.
 */
export function warmUpApis(runtime: Runtime, current: () => Runtime | null, sliceMs = 5): Promise<number> {
  const steps = [...new Set([...runtime.policies.values()].flatMap((p) => (p.api ? [p.api.validator] : [])))].map((v) => v.compileSteps());
  return new Promise((resolve) => {
    let done = 0;
    const run = () => {
      if (current() !== runtime) return resolve(done);
      const until = performance.now() + sliceMs;
      while (steps.length > 0 && performance.now() < until) {
        if (steps[0]!.next().done) {
          steps.shift();
          done++;
        }
      }
      if (steps.length === 0) resolve(done);
      else setTimeout(run, 1).unref();
    };
    setTimeout(run, 0).unref();
  });
}

/** Options for building runtimes; the remote JWKS cache lives here so it survives snapshot swaps. */
export interface RuntimeOptions {
  jwksCache?: Map<string, JWTVerifyGetKey>;
  /** How long fetched remote JWKS are trusted before a refresh (ms). */
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
  /** Signs challenges and passes of policies without their own keySecret (the server-wide key). */
  challengeKeyring?: Keyring;
  /**
   * API validators by content, kept across snapshots: a snapshot that leaves a policy's description unchanged
   * reuses its validators (and what they compiled) instead of building them again.
   */
  apiCache?: Map<string, ApiValidator>;
}

let processKeyring: Keyring | undefined;

/** The keyring of policies without keys when the server has no server-wide key: one random key per process. */
function fallbackKeyring(opts: RuntimeOptions): Keyring {
  if (opts.challengeKeyring) return opts.challengeKeyring;
  processKeyring ??= ephemeralKeyring();
  return processKeyring;
}

function challengeOff(p: CompiledPolicy): string {
  if (p.mode !== 'Enforce') return 'header only: policy mode Monitor';
  if (p.bot.mode !== 'Enforce') return `header only: bot mode ${p.bot.mode}`;
  if (p.challenge.action !== 'Challenge') return 'header only: challenge action Header';
  return '';
}

function challengeConfig(p: CompiledPolicy, opts: RuntimeOptions): ChallengeConfig | null {
  if (challengeOff(p) !== '') return null;
  const c = p.challenge;
  let keyring: Keyring;
  try {
    keyring = c.keys ? keyringFrom(c.keys.map((k) => Buffer.from(k, 'utf8'))) : fallbackKeyring(opts);
  } catch (err) {
    throw new Error(`${p.id} challenge keys: ${(err as Error).message}`);
  }
  return {
    difficulty: c.difficulty,
    passLifetimeSec: c.passLifetimeSec,
    passScoreCredit: c.passScoreCredit,
    prefixes: c.networkPrefix,
    exemptMethods: new Set(c.exemptMethods),
    exemptPaths: (matchers(c.exemptPaths, `${p.id} challenge`) ?? []).map((m) => m.re),
    keyring,
  };
}

function apiKey(api: CompiledApi, caseSensitive: boolean): string {
  return `${api.digest} ${api.source} ${api.basePath} ${api.validateBody} ${caseSensitive}`;
}

function apiValidator(p: CompiledPolicy, opts: RuntimeOptions, used: Map<string, ApiValidator>): RuntimePolicy['api'] {
  if (!p.api) return null;
  const key = apiKey(p.api, p.pathMatching.caseSensitive);
  let validator = used.get(key) ?? opts.apiCache?.get(key);
  if (!validator) {
    try {
      validator = new ApiValidator(p.api, p.pathMatching.caseSensitive);
    } catch (err) {
      throw new Error(`${p.id} openapi: ${(err as Error).message}`);
    }
  }
  used.set(key, validator);
  return { validator, mode: p.api.mode };
}

function matchers(list: CompiledPattern[] | null, where: string, flags = ''): Matcher[] | null {
  if (list === null) return null;
  return list.map((p) => {
    try {
      return { pattern: p.pattern, re: new RegExp(p.regex, flags) };
    } catch (err) {
      throw new Error(`${where}: pattern ${JSON.stringify(p.pattern)} has an invalid regex: ${(err as Error).message}`);
    }
  });
}

/** The inspection stage's options: kinds, body limits, paranoia and exclusions with their path patterns compiled. */
function inspectionOptions(p: CompiledPolicy): RuntimePolicy['inspection'] {
  const i = p.inspection;
  return {
    maxBodyBytes: i.maxBodyBytes,
    oversizedBody: i.oversizedBody,
    sqlInjection: i.sqlInjection,
    xss: i.xss,
    pathTraversal: i.pathTraversal,
    commandInjection: i.commandInjection,
    paranoia: i.paranoia === 'Strict' ? 'strict' : 'api',
    exclusions: i.exclusions.map((e, n): InspectionExclusion => ({
      ...(e.rules !== null ? { rules: e.rules } : {}),
      ...(e.paths !== null ? { paths: (matchers(e.paths, `${p.id} inspection.exclusions[${n}]`) ?? []).map((m) => m.re) } : {}),
      ...(e.locations !== null ? { locations: e.locations } : {}),
    })),
  };
}

/** A BlockList of CIDRs already validated (by the compiler, or carried by the release); `where` names them in the error of a bad one. */
export function blockList(cidrs: readonly string[], where: string): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr = '', bits = ''] = cidr.split('/');
    const family = isIP(addr);
    if (family === 0) throw new Error(`${where}: invalid CIDR ${cidr}`);
    list.addSubnet(addr, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function jwtKeys(policy: CompiledPolicy, opts: RuntimeOptions): JWTVerifyGetKey | null {
  const jwt = policy.authentication.jwt;
  if (!jwt) return null;
  if (jwt.jwks) {
    for (const k of jwt.jwks.keys) if (typeof k.kty !== 'string') throw new Error(`${policy.id}: JWK without kty`);
    return jose().createLocalJWKSet(jwt.jwks as unknown as JSONWebKeySet);
  }
  if (!jwt.jwksUri) throw new Error(`${policy.id}: jwt needs jwks or jwksUri`);
  const cache = opts.jwksCache;
  const cached = cache?.get(jwt.jwksUri);
  if (cached) return cached;
  const remote = jose().createRemoteJWKSet(new URL(jwt.jwksUri), {
    cacheMaxAge: opts.jwksCacheMaxAgeMs ?? 10 * 60_000,
    cooldownDuration: 30_000,
    timeoutDuration: opts.jwksTimeoutMs ?? 2_000,
  });
  cache?.set(jwt.jwksUri, remote);
  return remote;
}

function runtimePolicy(p: CompiledPolicy, opts: RuntimeOptions, apis: Map<string, ApiValidator>): RuntimePolicy {
  const keys = jwtKeys(p, opts);
  const pathFlags = p.pathMatching.caseSensitive ? '' : 'i';
  return {
    source: p,
    id: p.id,
    monitor: p.mode === 'Monitor',
    failOpen: p.failurePolicy === 'FailOpen',
    identity: {
      requireMTLS: p.identity.requireMTLS,
      allowed: matchers(p.identity.allowed, `${p.id} identity`) ?? [],
      denied: matchers(p.identity.denied, `${p.id} identity`) ?? [],
    },
    apiKeys: p.authentication.apiKeys
      ? { header: p.authentication.apiKeys.header, scheme: p.authentication.apiKeys.scheme ?? null, byHash: new Map(p.authentication.apiKeys.keys.map((k) => [k.sha256, k.consumer])) }
      : null,
    jwt:
      p.authentication.jwt && keys
        ? { issuer: p.authentication.jwt.issuer, audiences: p.authentication.jwt.audiences, keys, realm: p.hosts[0] ?? p.id }
        : null,
    required: p.authentication.required,
    rejectBasicAuth: p.authentication.rejectBasicAuth,
    rules:
      p.rules?.map((r, i) => ({
        methods: r.methods ? new Set(r.methods) : null,
        paths: matchers(r.paths, `${p.id} rules[${i}]`, pathFlags),
        principals: matchers(r.principals, `${p.id} rules[${i}]`),
        consumers: r.consumers ? new Set(r.consumers) : null,
        claims: r.claims ? Object.entries(r.claims) : null,
      })) ?? null,
    rateLimits: p.rateLimits.map((rl) => ({
      name: rl.name,
      methods: rl.methods ? new Set(rl.methods) : null,
      paths: matchers(rl.paths, `${p.id} rateLimits ${rl.name}`, pathFlags),
      key: rl.key,
      requests: rl.requests,
      periodMs: rl.periodMs,
      burst: rl.burst,
      skipWhenKeyPartMissing: rl.skipWhenKeyPartMissing === true,
    })),
    inspection: inspectionOptions(p),
    anyInspection: p.inspection.sqlInjection || p.inspection.xss || p.inspection.pathTraversal || p.inspection.commandInjection,
    pathMatching: p.pathMatching,
    bot: {
      ...p.bot,
      allowPrincipals: matchers(p.bot.allow.principals, `${p.id} bot`) ?? [],
      allowCidrs: blockList(p.bot.allow.cidrs, `${p.id} bot`),
    },
    challenge: challengeConfig(p, opts),
    challengeOff: challengeOff(p),
    api: apiValidator(p, opts, apis),
    workload: {
      principals: matchers(p.workload.principals, `${p.id} destinationPrincipals`) ?? [],
      labels: p.workload.labels ? Object.entries(p.workload.labels) : null,
    },
  };
}

/** Builds the runtime of a snapshot; throws with a clear message when the snapshot cannot be served. */
export function buildRuntime(snapshot: Snapshot, opts: RuntimeOptions = {}, now = Date.now()): Runtime {
  if (typeof snapshot.version !== 'string' || !Array.isArray(snapshot.policies) || typeof snapshot.hosts !== 'object') {
    throw new Error('snapshot is malformed: version, policies and hosts are required');
  }
  const policies = new Map<string, RuntimePolicy>();
  const apis = new Map<string, ApiValidator>();
  for (const p of snapshot.policies) policies.set(p.id, runtimePolicy(p, opts, apis));
  if (opts.apiCache) {
    opts.apiCache.clear();
    for (const [k, v] of apis) opts.apiCache.set(k, v);
  }
  const exact = new Map(Object.entries(snapshot.hosts.exact));
  const wildcards = Object.entries(snapshot.hosts.wildcard).sort(([a], [b]) => b.length - a.length);
  for (const [host, id] of [...exact, ...wildcards]) {
    if (!policies.has(id)) throw new Error(`snapshot host ${host} points to unknown policy ${id}`);
  }
  const bindable = [...policies.values()].filter((p) => p.workload.principals.length > 0 || p.workload.labels !== null);
  // Destinations are the mesh's workloads, a small set: their bound policies are computed once per snapshot.
  const boundCache = new Map<string, RuntimePolicy[]>();
  const boundPolicies = (destination: Destination): RuntimePolicy[] => {
    if (bindable.length === 0 || (destination.principal === '' && destination.labels.size === 0)) return [];
    const key = `${destination.principal}\u0000${[...destination.labels].sort(([a], [b]) => compareText(a, b)).map(([k, v]) => `${k}=${v}`).join('\u0000')}`;
    let bound = boundCache.get(key);
    if (bound === undefined) {
      bound = bindable.filter((p) => boundTo(p, destination));
      if (boundCache.size >= 10_000) boundCache.clear();
      boundCache.set(key, bound);
    }
    return bound;
  };
  const policyFor = (host: string): RuntimePolicy | undefined => {
    const id = exact.get(host) ?? wildcards.find(([suffix]) => host.endsWith(suffix) && host.length > suffix.length)?.[1];
    return id === undefined ? undefined : policies.get(id);
  };
  return {
    version: snapshot.version,
    compiledAt: snapshot.compiledAt,
    loadedAt: now,
    policies,
    hosts: [...exact.keys(), ...wildcards.map(([suffix]) => `*${suffix}`)],
    policyFor,
    select(host, destination) {
      const byHost = policyFor(host);
      const bound = boundPolicies(destination);
      if (bound.length === 0) return byHost ? { policy: byHost, detail: byHost.id } : { policy: null, detail: `no policy for host ${host}` };
      if (byHost && bound.includes(byHost)) return { policy: byHost, detail: `${byHost.id} (host, bound to the destination)` };
      const workload = destination.principal || 'the destination';
      if (bound.length === 1 && bound[0]) {
        const why = byHost ? `host ${host} belongs to ${byHost.id}, not bound to ${workload}` : `no policy for host ${host}`;
        return { policy: bound[0], detail: `${bound[0].id} (bound to ${workload}; ${why})` };
      }
      return { policy: null, detail: `host ${host} is not served by a policy bound to ${workload} (${bound.map((p) => p.id).join(', ')})` };
    },
  };
}
