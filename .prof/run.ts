
import { stringify } from 'yaml';
import { BaselineBook } from '/work/wt/issue-14/authz-server/src/bot/baseline.ts';
import { DeferredCounters } from '/work/wt/issue-14/authz-server/src/bot/deferred.ts';
import { BotFeed } from '/work/wt/issue-14/authz-server/src/bot/feed.ts';
import { evaluateRequest, type PipelineDeps } from '/work/wt/issue-14/authz-server/src/pipeline/pipeline.ts';
import { toRequestContext } from '/work/wt/issue-14/authz-server/src/pipeline/request.ts';
import { buildRuntime } from '/work/wt/issue-14/authz-server/src/pipeline/runtime.ts';
import { compile } from '/work/wt/issue-14/lib/policy/compile.ts';
import { parsePolicyText } from '/work/wt/issue-14/lib/policy/load.ts';
import { MemoryCounterStore } from '/work/wt/issue-14/authz-server/src/store/memory-store.ts';
import { RateLimiter } from '/work/wt/issue-14/authz-server/src/pipeline/rate-limiter.ts';
import { Rng } from '/work/wt/issue-14/bench/sim-traffic.ts';
const doc = { apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name: 'shop', namespace: 'bench' }, spec: { hosts: ['shop.example.com'], rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 100000, period: '1s' }], bot: { mode: 'Enforce' } } };
const runtime = buildRuntime(compile(parsePolicyText(stringify(doc), 'b.yaml').documents, [], new Date()).snapshot);
const store = new MemoryCounterStore({ maxKeys: 2_000_000 });
const book = new BaselineBook({ store, clock: Date.now, policies: () => ['bench/shop'], refreshIntervalMs: 0 });
const deps: PipelineDeps = { limiter: new RateLimiter({ store, fallback: new MemoryCounterStore() }), clock: Date.now, botBaselines: book };
const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
const feed = new BotFeed({ deferred, clock: Date.now, runtime: () => runtime });
const rng = new Rng(42);
const reqs = Array.from({ length: 40000 }, (_, i) => {
  const client = rng.int(1, 2000);
  const headers: Record<string, string> = { ':authority': 'shop.example.com', ':method': 'GET', ':path': `/p/${rng.int(1, 10)}/${client % 7}`, 'x-request-id': `b-${i}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0', accept: 'application/json', 'accept-language': 'en' };
  if (rng.chance(0.8)) headers['cookie'] = `session=s${client}-${rng.int(1, 3)}`;
  return toRequestContext({ attributes: { source: { address: { socket_address: { address: `10.${client >> 8}.${client & 255}.7`, port_value: 1 } } }, request: { http: { headers } } } });
});
const times: number[] = [];
for (let i = 0; i < reqs.length; i++) {
  const t0 = performance.now();
  const o = await evaluateRequest(runtime, reqs[i]!, deps);
  feed.onDecision(reqs[i]!, o);
  times.push((performance.now() - t0) * 1000);
  if (i % 2000 === 1999) { await deferred.flush(); await book.refresh(true); }
}
times.sort((a, b) => a - b);
console.log('p50', times[20000]!.toFixed(0), 'p90', times[36000]!.toFixed(0), 'p99', times[39600]!.toFixed(0));
