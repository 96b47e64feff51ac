/**
 * `node bench/challenge-solve.ts [--difficulties 12,14,...] [--runs 20] [--screenshot docs/challenge-interstitial.png]`:
 * how long a real browser needs to pass the challenge at each difficulty. Debian's headless Chromium (through
 * playwright-core) navigates through the test Envoy front to a real upstream; the authz-server runs in process
 * with one policy per difficulty (`d<N>.bench.test`, resolved to loopback by Chromium's host resolver rules).
 * Each run is a fresh browser context (no pass cookie), so every run is challenged and solves once.
 *
 * Per difficulty: the solve time the interstitial reports (script start to solution, Web Workers included), the
 * whole time from navigation to the upstream page (interstitial, verification redirect, upstream), and the hash
 * rate (nonces tried per second across the page's workers). Solve times follow a geometric distribution, so the
 * median and p90 are reported rather than a mean alone.
 */
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { execSync } from 'node:child_process';
import { launchChromium } from '../test/support/browser.ts';
import { startEnvoyFront } from '../test/support/envoy-front.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../test/support/policies.ts';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const { values } = parseArgs({
  options: {
    difficulties: { type: 'string', default: '12,14,16,18,20,22,24' },
    runs: { type: 'string', default: '20' },
    screenshot: { type: 'string' },
  },
});
const difficulties = values.difficulties.split(',').map(Number);
const baseRuns = Number(values.runs);
/** Fewer runs where one run takes seconds. */
const runsFor = (d: number) => (d <= 18 ? baseRuns : d <= 20 ? Math.max(3, Math.ceil(baseRuns / 2)) : d <= 22 ? Math.max(3, Math.ceil(baseRuns / 4)) : Math.max(3, Math.ceil(baseRuns / 6)));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

const upstream = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end('<!doctype html><html lang="en"><title>Upstream</title><h1>Upstream page</h1></html>');
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));

const all = [...new Set([...difficulties, 26])];
const policies = await writePolicyDir(
  all.map((d) => policyDoc(`d${d}`, { hosts: [`d${d}.bench.test`], bot: { mode: 'Enforce', challengeScore: 30, denyScore: 95, challenge: { difficulty: { min: d, max: d }, passScoreCredit: 60 } } })),
);
const server = await startTestServer(['--policies', policies.dir, '--decision-log', 'off'], captureLogger('warn').logger);
const front = await startEnvoyFront({ authzPort: server.checkPort ?? server.grpcPort, upstream: { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }, timeoutMs: 5000 });
const browser = await launchChromium(['--host-resolver-rules=MAP *.bench.test 127.0.0.1']);

const rows: string[] = [];
const load0 = loadavg()[0]!.toFixed(2);
try {
  const version = browser.version();
  const concurrency = await (async () => {
    const p = await browser.newPage();
    const n = await p.evaluate('navigator.hardwareConcurrency');
    await p.close();
    return n as number;
  })();
  console.log(`Chromium ${version}, hardwareConcurrency ${concurrency} (the page starts min(4, that) workers), ${cpus().length} CPUs, load ${load0}`);
  rows.push('| difficulty (bits) | expected hashes | runs | solve median | solve p90 | min..max | navigation to page, median | hash rate, median |');
  rows.push('|---|---|---|---|---|---|---|---|');
  for (const d of difficulties) {
    const solve: number[] = [];
    const total: number[] = [];
    const rate: number[] = [];
    for (let i = 0; i < runsFor(d); i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const url = `http://d${d}.bench.test:${front.port}/article/${i}`;
      const before = front.exchanges.length;
      const t0 = performance.now();
      await page.goto(url);
      await page.waitForSelector('h1:text("Upstream page")', { timeout: 600_000 });
      total.push(performance.now() - t0);
      const verify = front.exchanges.slice(before).map((e) => e.request.attributes?.request?.http?.path ?? '').find((p) => p.startsWith('/.palisade/challenge/verify?'));
      if (!verify) throw new Error(`difficulty ${d}: the browser was not challenged`);
      const q = new URLSearchParams(verify.slice(verify.indexOf('?') + 1));
      const ms = Number(q.get('ms'));
      solve.push(ms);
      rate.push((Number(q.get('n')) + 1) / Math.max(1, ms) / 1000);
      await context.close();
    }
    const f = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
    const row = `| ${d} | ${(2 ** d).toLocaleString('en-US')} | ${solve.length} | ${f(quantile(solve, 0.5))} | ${f(quantile(solve, 0.9))} | ${f(Math.min(...solve))}..${f(Math.max(...solve))} | ${f(quantile(total, 0.5))} | ${quantile(rate, 0.5).toFixed(2)} M/s |`;
    rows.push(row);
    console.log(row);
  }

  if (values.screenshot) {
    // A difficulty that keeps the interstitial up long enough to photograph it.
    const context = await browser.newContext({ viewport: { width: 900, height: 560 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`http://d26.bench.test:${front.port}/article/screenshot`);
    await page.waitForSelector('#status');
    await page.waitForTimeout(500);
    await page.screenshot({ path: values.screenshot });
    console.log(`screenshot: ${values.screenshot}`);
    await context.close();
  }
} finally {
  await browser.close();
  await front.close();
  await server.stop();
  await policies.cleanup();
  upstream.close();
}
let commit = '';
try {
  commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
} catch {
  commit = 'unknown';
}
console.log(`\n${rows.join('\n')}\n\ncommit ${commit}, load average ${load0} at start, ${loadavg()[0]!.toFixed(2)} at end (${cpus().length} CPUs)`);
