/**
 * `npm run bench:inspection`: Palisade's request inspection side by side with the OWASP Core Rule Set on Coraza,
 * at paranoia levels 1 and 2, on the committed corpus (authz-server/src/inspection/corpus): detection per attack
 * class, benign requests flagged, and cost per request, all in one run.
 *
 * Coraza and CRS come from pinned Go modules (bench/inspection-crs.ts) and run in a small harness
 * (bench/coraza-harness/main.go) built outside git into ${PALISADE_CACHE:-~/.cache/palisade}/peers/coraza-crs.
 * Both engines see the same requests with the same default headers; an engine "detects" a request when it
 * would block it (Palisade: any finding; CRS: the transaction is interrupted, anomaly threshold 5). Costs are
 * measured in process for each engine (Palisade: inspectRequest; Coraza: the request phases of a transaction).
 *
 * The rows: the CRS regression tests, SecLists' and libinjection's payload lists and the project's samples (each list
 * line in a query parameter), the list lines and CRS tests that are no attack on their own (reported, not scored),
 * and benign traffic (the generator, the project's benign values, libinjection's false positives).
 *
 * Options: --quick (one warm-up pass instead of two), --extra DIR (also measure payload lists in DIR: files named sqli*, xss*,
 * lfi* or traversal*, rce* or cmdi*, and benign* or false_positives*, one payload per line, '#' lines ignored,
 * each sent as a query parameter), --out FILE (also write the table there).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benignTraffic, toInspectionInput } from '../authz-server/src/inspection/corpus/benign-traffic.ts';
import { crsRequests, listPayloads, queryRequest, sampleLines, type AttackClass, type ListSource } from '../authz-server/src/inspection/corpus/load.ts';
import { inspectRequest, resetInspectionCache, type InspectionOptions } from '../authz-server/src/inspection/inspect.ts';
import { CRS_MODULES, goModuleDir, peersDir } from './inspection-crs.ts';

interface BenchRequest {
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: string;
}

interface Workload {
  name: string;
  /** 'attack' rows report detection, 'benign' rows report false positives. */
  kind: 'attack' | 'benign';
  cls?: AttackClass;
  requests: BenchRequest[];
}

const DEFAULT_HEADERS: Array<[string, string]> = [
  ['Host', 'api.example.com'],
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'],
  ['Accept', 'application/json, text/plain, */*'],
];

/** Adds the headers every real client sends when the request lacks them (and Content-Length for a body). */
function withDefaults(r: BenchRequest): BenchRequest {
  const have = new Set(r.headers.map(([k]) => k.toLowerCase()));
  const extra: Array<[string, string]> = DEFAULT_HEADERS.filter(([k]) => !have.has(k.toLowerCase()));
  if (r.body !== undefined && !have.has('content-length')) extra.push(['Content-Length', String(utf8.encode(r.body).length)]);
  return { ...r, headers: [...extra, ...r.headers] };
}

const utf8 = new TextEncoder();

function inQuery(payload: string): BenchRequest {
  return queryRequest(payload);
}

const SOURCE_NAMES: Record<ListSource, string> = { seclists: 'SecLists', libinjection: "libinjection's test data" };

const CLASS_NAMES: Record<AttackClass, string> = {
  sqli: 'SQL injection',
  xss: 'XSS',
  lfi: 'traversal / LFI',
  rce: 'command injection',
};

function workloads(extraDir: string | null): Workload[] {
  const w: Workload[] = [];
  for (const cls of ['sqli', 'xss', 'lfi', 'rce'] as AttackClass[]) {
    w.push({ name: `${CLASS_NAMES[cls]}: CRS regression tests`, kind: 'attack', cls, requests: crsRequests(cls) });
  }
  const hand: Array<[AttackClass, string]> = [['sqli', 'sqli.txt'], ['xss', 'xss.txt'], ['lfi', 'traversal.txt']];
  for (const [cls, file] of hand) {
    w.push({ name: `${CLASS_NAMES[cls]}: project samples (in the query)`, kind: 'attack', cls, requests: sampleLines(file).map(inQuery) });
  }
  const unscoredLines: BenchRequest[] = [];
  const listBenign: BenchRequest[] = [];
  for (const source of ['seclists', 'libinjection'] as ListSource[]) {
    const rows = listPayloads(source);
    for (const cls of ['sqli', 'xss', 'lfi', 'rce'] as AttackClass[]) {
      const scored = rows.filter((r) => r.cls === cls && r.unscored === undefined);
      if (scored.length > 0) {
        w.push({ name: `${CLASS_NAMES[cls]}: ${SOURCE_NAMES[source]} (in the query)`, kind: 'attack', cls, requests: scored.map((r) => queryRequest(r.payload, r.urlEncoded)) });
      }
    }
    for (const r of rows) {
      if (r.cls === 'benign') listBenign.push(queryRequest(r.payload, r.urlEncoded));
      else if (r.unscored !== undefined) unscoredLines.push(queryRequest(r.payload, r.urlEncoded));
    }
  }
  const fragments = (['sqli', 'xss', 'lfi', 'rce'] as AttackClass[]).flatMap((c) => crsRequests(c, false).filter((r) => r.fragment !== undefined));
  w.push({ name: 'CRS tests of token/probe rules (not scored)', kind: 'attack', requests: fragments });
  w.push({ name: 'list lines that are no attack on their own (not scored)', kind: 'attack', requests: unscoredLines });
  w.push({ name: 'benign API traffic (generator, 1,500 requests)', kind: 'benign', requests: benignTraffic() });
  w.push({ name: 'benign values (project samples, in the query)', kind: 'benign', requests: sampleLines('benign.txt').map(inQuery) });
  w.push({ name: "benign: libinjection's false positives (in the query)", kind: 'benign', requests: listBenign });
  if (extraDir !== null) {
    const byKind: Array<[RegExp, AttackClass | 'benign']> = [
      [/^sqli/, 'sqli'], [/^xss/, 'xss'], [/^(?:lfi|traversal)/, 'lfi'], [/^(?:rce|cmdi)/, 'rce'], [/^(?:benign|false_positives)/, 'benign'],
    ];
    const groups = new Map<AttackClass | 'benign', BenchRequest[]>();
    for (const f of readdirSync(extraDir).sort()) {
      const k = byKind.find(([re]) => re.test(f))?.[1];
      if (k === undefined) continue;
      const lines = readFileSync(join(extraDir, f), 'latin1').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && !l.startsWith('#'));
      groups.set(k, [...(groups.get(k) ?? []), ...lines.map(inQuery)]);
    }
    for (const [k, reqs] of groups) {
      w.push(k === 'benign'
        ? { name: `extra: benign (${extraDir})`, kind: 'benign', requests: reqs }
        : { name: `extra: ${CLASS_NAMES[k]} (${extraDir})`, kind: 'attack', cls: k, requests: reqs });
    }
  }
  return w.map((x) => ({ ...x, requests: x.requests.map(withDefaults) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Coraza + CRS

const HARNESS_DIR = join(peersDir, 'coraza-crs');
const HARNESS_BIN = join(HARNESS_DIR, 'coraza-crs');
const HARNESS_SRC = new URL('./coraza-harness/main.go', import.meta.url).pathname;

/** Builds the harness against the pinned modules unless the same source and versions are already built. */
function ensureHarness(): void {
  const src = readFileSync(HARNESS_SRC, 'utf8');
  const stamp = createHash('sha256').update(src).update(JSON.stringify(CRS_MODULES)).digest('hex');
  const stampFile = join(HARNESS_DIR, 'build.stamp');
  if (existsSync(HARNESS_BIN) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return;
  mkdirSync(HARNESS_DIR, { recursive: true });
  process.stderr.write(`building the Coraza ${CRS_MODULES.coraza.version} + CRS ${CRS_MODULES.crs.version} harness in ${HARNESS_DIR} (nice 19) ...\n`);
  for (const m of Object.values(CRS_MODULES)) goModuleDir(m.module, m.version);
  writeFileSync(join(HARNESS_DIR, 'main.go'), src);
  writeFileSync(
    join(HARNESS_DIR, 'go.mod'),
    `module palisade.local/coraza-harness\n\ngo 1.24\n\nrequire (\n${Object.values(CRS_MODULES).map((m) => `\t${m.module} ${m.version}\n`).join('')})\n`,
  );
  const env = { ...process.env, GOFLAGS: '-mod=mod' };
  for (const args of [['mod', 'tidy'], ['build', '-o', HARNESS_BIN, '.']]) {
    const r = spawnSync('nice', ['-n', '19', 'go', ...args], { cwd: HARNESS_DIR, stdio: 'inherit', env });
    if (r.error || r.status !== 0) throw new Error(`go ${args.join(' ')} in ${HARNESS_DIR} failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
  writeFileSync(stampFile, `${stamp}\n`);
}

interface Verdict {
  blocked: boolean;
  ns: number;
}

async function runCoraza(pl: number, reqs: BenchRequest[]): Promise<Verdict[]> {
  const child = spawn(HARNESS_BIN, ['-pl', String(pl)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: Verdict[] = [];
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => {
      const r = JSON.parse(l) as { blocked: boolean; ns: number };
      out.push({ blocked: r.blocked, ns: r.ns });
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`coraza harness exited with ${code}`))));
    child.on('error', reject);
  });
  for (const r of reqs) {
    if (!child.stdin.write(`${JSON.stringify(r)}\n`)) await new Promise((res) => child.stdin.once('drain', res));
  }
  child.stdin.end();
  await done;
  if (out.length !== reqs.length) throw new Error(`coraza harness answered ${out.length} of ${reqs.length} requests`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Palisade

function runPalisade(opts: InspectionOptions, reqs: BenchRequest[], warmups: number, cold = false): Verdict[] {
  const inputs = reqs.map(toInspectionInput);
  // Warm-up passes let the JIT compile; the clean-value cache is then emptied so the timed pass pays for every
  // value the first time it appears, as a freshly started server would. `cold` empties it before every request:
  // the cost when no value ever repeats.
  for (let p = 0; p < warmups; p++) for (const input of inputs) inspectRequest(input, opts);
  resetInspectionCache();
  return inputs.map((input) => {
    if (cold) resetInspectionCache();
    const t0 = process.hrtime.bigint();
    const f = inspectRequest(input, opts);
    return { blocked: f !== null, ns: Number(process.hrtime.bigint() - t0) };
  });
}

// ---------------------------------------------------------------------------------------------------------------

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function fmtUs(ns: number): string {
  const us = ns / 1000;
  return us >= 100 ? us.toLocaleString('en-US', { maximumFractionDigits: 0 }) : us.toFixed(1);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const extraAt = args.indexOf('--extra');
  const extra = extraAt === -1 ? null : (args[extraAt + 1] ?? null);
  const outAt = args.indexOf('--out');
  const outFile = outAt === -1 ? null : (args[outAt + 1] ?? null);

  const loadBefore = loadavg();
  ensureHarness();
  const loads = workloads(extra);
  const all = loads.flatMap((w) => w.requests);
  const ALL_KINDS = { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true } as const;
  const coldRun = runPalisade({ ...ALL_KINDS }, all, quick ? 1 : 2, true);
  const engines: Array<{ name: string; run: () => Promise<Verdict[]> | Verdict[] }> = [
    { name: 'Palisade (api)', run: () => runPalisade({ ...ALL_KINDS }, all, quick ? 1 : 2) },
    { name: 'Palisade (strict)', run: () => runPalisade({ ...ALL_KINDS, paranoia: 'strict' }, all, quick ? 1 : 2) },
    { name: `CRS ${CRS_MODULES.crs.version} PL1`, run: () => runCoraza(1, all) },
    { name: `CRS ${CRS_MODULES.crs.version} PL2`, run: () => runCoraza(2, all) },
  ];
  const results: Verdict[][] = [];
  for (const e of engines) {
    process.stderr.write(`${e.name}: ${all.length} requests ...\n`);
    results.push(await e.run());
  }

  const rows: string[] = [];
  rows.push(`| | requests | ${engines.map((e) => e.name).join(' | ')} |`);
  rows.push(`|---|---:|${engines.map(() => '---:').join('|')}|`);
  let offset = 0;
  for (const w of loads) {
    const cells = results.map((res) => {
      const hit = res.slice(offset, offset + w.requests.length).filter((v) => v.blocked).length;
      return `${((100 * hit) / w.requests.length).toFixed(1)}%`;
    });
    const label = w.kind === 'attack' ? `${w.name}: detected` : `${w.name}: flagged`;
    rows.push(`| ${label} | ${w.requests.length.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
    offset += w.requests.length;
  }
  const medianP99 = (res: Verdict[], pick: (i: number) => boolean): string => {
    const ns = res.filter((_, i) => pick(i)).map((v) => v.ns).sort((a, b) => a - b);
    return `${fmtUs(quantile(ns, 0.5))} / ${fmtUs(quantile(ns, 0.99))}`;
  };
  const cost = (pick: (i: number) => boolean, label: string): void => {
    rows.push(`| ${label} | | ${results.map((res) => medianP99(res, pick)).join(' | ')} |`);
  };
  const benignIdx = new Set<number>();
  offset = 0;
  for (const w of loads) {
    if (w.kind === 'benign') for (let i = 0; i < w.requests.length; i++) benignIdx.add(offset + i);
    offset += w.requests.length;
  }
  const withBody = (i: number): boolean => benignIdx.has(i) && all[i]?.body !== undefined;
  cost(() => true, 'cost per request, median / p99 (µs), all requests');
  cost((i) => benignIdx.has(i), 'cost per request, median / p99 (µs), benign requests');
  cost(withBody, 'cost per request, median / p99 (µs), benign requests with a body');
  const dash = engines.slice(1).map(() => '–').join(' | ');
  rows.push(`| cost per request, median / p99 (µs), benign requests with a body, clean-value cache emptied before each request | | ${medianP99(coldRun, withBody)} | ${dash} |`);

  const header = [
    `Inspection bench: ${all.length.toLocaleString('en-US')} requests; Node ${process.version}, Coraza ${CRS_MODULES.coraza.version} + CRS ${CRS_MODULES.crs.version} (anomaly threshold 5);`,
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
  ];
  const text = `${header.join('\n')}\n${rows.join('\n')}\n`;
  process.stdout.write(text);
  if (outFile !== null) writeFileSync(outFile, text);
}

await main();
