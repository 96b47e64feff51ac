/**
 * Benchmark scenarios: Envoy-shaped CheckRequests (as JSON for ghz, proto field names) and the policies they
 * run against. ghz cycles through `requests`, so each scenario mixes a few paths and clients.
 */
import { join } from 'node:path';

/** One benchmark scenario. */
export interface Scenario {
  name: string;
  policies: string;
  requests: unknown[];
  serverArgs?: string[];
  decisionLog?: 'all' | 'deny' | 'off';
  /** Run against a real redis-server started for the scenario (else the in-memory store). */
  redis?: boolean;
  /** The ext_authz peers (OPA-Envoy, Authorino; bench/peers.ts) express this scenario too and run it. */
  peers?: boolean;
  /**
   * The RateLimitService requests Envoy's rate-limit filter would send to envoyproxy/ratelimit for the same
   * traffic (one descriptor per limit); set on the scenario ratelimit runs.
   */
  ratelimit?: unknown[];
}

/** The client IP of request `i` (x-forwarded-for and source address). */
function clientIp(i: number): string {
  return `10.0.${i % 250}.${(i * 7) % 250}`;
}

function request(host: string, path: string, i: number, extra: { headers?: Record<string, string>; principal?: string } = {}): unknown {
  const headers = {
    ':authority': host,
    ':method': 'GET',
    ':path': path,
    ':scheme': 'http',
    'x-request-id': `bench-${i}-0000-0000-000000000000`,
    'x-forwarded-for': clientIp(i),
    'x-forwarded-proto': 'http',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    accept: 'application/json',
    'accept-language': 'en-GB,en;q=0.9',
    ...extra.headers,
  };
  return {
    attributes: {
      source: {
        address: { socket_address: { address: clientIp(i), port_value: 40000 + i } },
        ...(extra.principal ? { principal: extra.principal } : {}),
      },
      destination: { address: { socket_address: { address: '10.9.9.9', port_value: 8080 } } },
      request: { http: { id: String(1000 + i), method: 'GET', path, host, scheme: 'http', protocol: 'HTTP/1.1', headers } },
    },
  };
}

/** The scenario named `name`, or else the first whose name contains it; throws when none does. */
export function scenarioNamed(name: string): Scenario {
  const all = scenarios();
  const scenario = all.find((s) => s.name === name) ?? all.find((s) => s.name.includes(name));
  if (!scenario) throw new Error(`no scenario matches ${name}`);
  return scenario;
}

/** All scenarios, in table order. */
export function scenarios(): Scenario[] {
  const policies = join(import.meta.dirname, 'policies');
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return [
    {
      name: 'api-key + rules',
      policies,
      peers: true,
      requests: range(16).map((i) => request('apikey.bench.local', i % 2 ? `/orders/${i}` : '/orders', i, { headers: { 'x-api-key': 'bench-key-1' } })),
    },
    {
      name: 'mTLS principal + rules',
      policies,
      peers: true,
      requests: range(16).map((i) => request('mtls.bench.local', `/orders/${i}`, i, { principal: 'spiffe://cluster.local/ns/shop/sa/frontend' })),
    },
    {
      name: 'api-key + rules + 2 limits, memory',
      policies,
      requests: range(16).map((i) => request('limits.bench.local', `/orders/${i}`, i, { headers: { 'x-api-key': 'bench-key-1' } })),
    },
    {
      name: 'api-key + rules + 2 limits, Redis',
      policies,
      redis: true,
      requests: range(16).map((i) => request('limits.bench.local', `/orders/${i}`, i, { headers: { 'x-api-key': 'bench-key-1' } })),
      ratelimit: range(16).map((i) => ({
        domain: 'bench',
        descriptors: [{ entries: [{ key: 'consumer', value: 'bench-client' }] }, { entries: [{ key: 'remote_address', value: clientIp(i) }] }],
      })),
    },
    {
      name: 'api-key + rules + 2 limits + bot scoring, Redis',
      policies,
      redis: true,
      requests: range(16).map((i) => request('bot.bench.local', `/orders/${i}`, i, { headers: { 'x-api-key': 'bench-key-1', cookie: `sid=bench-session-${i}` } })),
    },
    {
      name: 'over-limit flood, Redis',
      policies,
      redis: true,
      requests: range(4).map((i) => request('flood.bench.local', '/x', i, { headers: { 'x-tenant': `t${i}` } })),
    },
  ];
}
