/**
 * The runtime form of a snapshot: regexes instantiated, API keys in a hash map, JWT key sets ready, CIDRs in a
 * BlockList. Built once per snapshot and never mutated; the server swaps the whole Runtime at once. Building it
 * validates the snapshot (bad regex, bad JWK, bad CIDR throw), so a broken snapshot is refused and the last good
 * one stays in force.
 */
import { BlockList, isIP } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, type JSONWebKeySet } from 'jose';
import type { CompiledPattern, CompiledPolicy, KeyPart, Snapshot } from '../../../lib/policy/snapshot.ts';

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
}

/** Everything one policy needs at request time. */
export interface RuntimePolicy {
  source: CompiledPolicy;
  id: string;
  monitor: boolean;
  failOpen: boolean;
  identity: { requireMTLS: boolean; allowed: Matcher[]; denied: Matcher[] };
  apiKeys: { header: string; byHash: Map<string, string> } | null;
  jwt: { issuer: string; audiences: string[]; keys: JWTVerifyGetKey; realm: string } | null;
  required: boolean;
  rejectBasicAuth: boolean;
  rules: RuntimeRule[] | null;
  rateLimits: RuntimeRateLimit[];
  inspection: CompiledPolicy['inspection'];
  anyInspection: boolean;
  bot: CompiledPolicy['bot'] & { allowPrincipals: Matcher[]; allowCidrs: BlockList };
}

/** A snapshot ready to serve. */
export interface Runtime {
  version: string;
  compiledAt: string;
  loadedAt: number;
  policies: Map<string, RuntimePolicy>;
  /** Finds the policy for a normalised host: exact first, then the longest wildcard suffix. */
  policyFor(host: string): RuntimePolicy | undefined;
}

/** Options for building runtimes; the remote JWKS cache lives here so it survives snapshot swaps. */
export interface RuntimeOptions {
  jwksCache?: Map<string, JWTVerifyGetKey>;
  /** How long fetched remote JWKS are trusted before a refresh (ms). */
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
}

function matchers(list: CompiledPattern[] | null, where: string): Matcher[] | null {
  if (list === null) return null;
  return list.map((p) => {
    try {
      return { pattern: p.pattern, re: new RegExp(p.regex) };
    } catch (err) {
      throw new Error(`${where}: pattern ${JSON.stringify(p.pattern)} has an invalid regex: ${(err as Error).message}`);
    }
  });
}

function blockList(cidrs: string[], where: string): BlockList {
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
    return createLocalJWKSet(jwt.jwks as unknown as JSONWebKeySet);
  }
  if (!jwt.jwksUri) throw new Error(`${policy.id}: jwt needs jwks or jwksUri`);
  const cache = opts.jwksCache;
  const cached = cache?.get(jwt.jwksUri);
  if (cached) return cached;
  const remote = createRemoteJWKSet(new URL(jwt.jwksUri), {
    cacheMaxAge: opts.jwksCacheMaxAgeMs ?? 10 * 60_000,
    cooldownDuration: 30_000,
    timeoutDuration: opts.jwksTimeoutMs ?? 2_000,
  });
  cache?.set(jwt.jwksUri, remote);
  return remote;
}

function runtimePolicy(p: CompiledPolicy, opts: RuntimeOptions): RuntimePolicy {
  const keys = jwtKeys(p, opts);
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
      ? { header: p.authentication.apiKeys.header, byHash: new Map(p.authentication.apiKeys.keys.map((k) => [k.sha256, k.consumer])) }
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
        paths: matchers(r.paths, `${p.id} rules[${i}]`),
        principals: matchers(r.principals, `${p.id} rules[${i}]`),
        consumers: r.consumers ? new Set(r.consumers) : null,
        claims: r.claims ? Object.entries(r.claims) : null,
      })) ?? null,
    rateLimits: p.rateLimits.map((rl) => ({
      name: rl.name,
      methods: rl.methods ? new Set(rl.methods) : null,
      paths: matchers(rl.paths, `${p.id} rateLimits ${rl.name}`),
      key: rl.key,
      requests: rl.requests,
      periodMs: rl.periodMs,
      burst: rl.burst,
    })),
    inspection: p.inspection,
    anyInspection: p.inspection.sqlInjection || p.inspection.xss || p.inspection.pathTraversal,
    bot: {
      ...p.bot,
      allowPrincipals: matchers(p.bot.allow.principals, `${p.id} bot`) ?? [],
      allowCidrs: blockList(p.bot.allow.cidrs, `${p.id} bot`),
    },
  };
}

/** Builds the runtime of a snapshot; throws with a clear message when the snapshot cannot be served. */
export function buildRuntime(snapshot: Snapshot, opts: RuntimeOptions = {}, now = Date.now()): Runtime {
  if (typeof snapshot.version !== 'string' || !Array.isArray(snapshot.policies) || typeof snapshot.hosts !== 'object') {
    throw new Error('snapshot is malformed: version, policies and hosts are required');
  }
  const policies = new Map<string, RuntimePolicy>();
  for (const p of snapshot.policies) policies.set(p.id, runtimePolicy(p, opts));
  const exact = new Map(Object.entries(snapshot.hosts.exact));
  const wildcards = Object.entries(snapshot.hosts.wildcard).sort(([a], [b]) => b.length - a.length);
  for (const [host, id] of [...exact, ...wildcards]) {
    if (!policies.has(id)) throw new Error(`snapshot host ${host} points to unknown policy ${id}`);
  }
  return {
    version: snapshot.version,
    compiledAt: snapshot.compiledAt,
    loadedAt: now,
    policies,
    policyFor(host: string): RuntimePolicy | undefined {
      const id = exact.get(host) ?? wildcards.find(([suffix]) => host.endsWith(suffix) && host.length > suffix.length)?.[1];
      return id === undefined ? undefined : policies.get(id);
    },
  };
}
