/**
 * The OWASP Core Rule Set as a peer and as a corpus source for `npm run bench:inspection`.
 *
 * CRS comes from the pinned Go module github.com/corazawaf/coraza-coreruleset (rules and regression tests
 * embedded) and runs on Coraza (github.com/corazawaf/coraza/v3), both fetched with `go mod download` into the
 * Go module cache; the harness (bench/coraza-harness/main.go, this project's code) is built outside git into
 * ${PALISADE_CACHE:-~/.cache/palisade}/peers/coraza-crs. None of their code is in this repository.
 *
 * `node bench/inspection-crs.ts --write-corpus` rewrites authz-server/src/inspection/corpus/crs/*.jsonl from the
 * module's regression tests (families 930 LFI, 932 RCE, 941 XSS, 942 SQLi): every test stage that expects its
 * rule to fire, as the request it sends.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Pinned modules (the module proxy refuses Coraza v3.8.0 here and serves v3.8.1). */
export const CRS_MODULES = {
  coraza: { module: 'github.com/corazawaf/coraza/v3', version: 'v3.8.1' },
  crs: { module: 'github.com/corazawaf/coraza-coreruleset/v4', version: 'v4.25.0' },
} as const;

export const peersDir = join(process.env['PALISADE_CACHE'] ?? join(homedir(), '.cache', 'palisade'), 'peers');

/** Downloads a module into the Go module cache and returns its directory. */
export function goModuleDir(module: string, version: string): string {
  const r = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const out = r.stdout ? (JSON.parse(r.stdout) as { Dir?: string; Error?: string }) : {};
  if (r.error || r.status !== 0 || !out.Dir) {
    throw new Error(`go mod download ${module}@${version} failed: ${r.error?.message ?? out.Error ?? r.stderr}`);
  }
  return out.Dir;
}

/** One attack request from the regression tests. */
export interface CorpusRequest {
  id: string; // "<rule>-<test>" or "<rule>-<test>.<stage>"
  rule: number;
  pl: number; // the paranoia level of the rule the test was written for
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: string;
  /** Set when the test exercises a token or character-statistics rule: why the value is no attack on its own. */
  fragment?: string;
}

/**
 * Rules whose regression tests send a lone token, a probe or a character statistic rather than an attack (a
 * function name, a database name, an operator, a count of special characters...). Their tests stay in the corpus,
 * marked, so the bench reports them, but they do not count towards the attack detection rates; neither do tests
 * whose description says the match is a false positive.
 */
const FRAGMENT_RULES: Record<number, string> = {
  942120: 'a lone SQL operator',
  942140: 'a lone database name',
  942150: 'a lone SQL function name',
  942151: 'a lone SQL function name',
  942152: 'a lone SQL function name',
  942410: 'a lone SQL function name',
  942220: 'a large number',
  942200: 'a fragment of a query (comment/space obfuscation)',
  942210: 'a fragment of a chained query',
  942360: 'a fragment of a query (keyword sequence)',
  942362: 'a fragment of a query (keyword sequence)',
  942380: 'a fragment of a query (keyword pair)',
  942390: 'a fragment of a query (keyword pair)',
  942400: 'a fragment of a query (keyword pair)',
  942470: 'a lone SQL keyword',
  942420: 'a count of special characters',
  942421: 'a count of special characters',
  942430: 'a count of special characters',
  942431: 'a count of special characters',
  942432: 'a count of special characters',
  942460: 'repeated non-word characters',
  942490: 'a quote next to a number or operator',
  942330: 'a probe (a quote next to a keyword or operator)',
  942361: 'a probe (a quote next to a keyword or operator)',
  942370: 'a probe (a quote next to a keyword or operator)',
  942510: 'a lone tick or backtick',
  942511: 'a lone tick or backtick',
  941181: 'a lone HTML comment delimiter',
  932180: 'an upload file name',
  932300: 'a mail protocol command',
  932301: 'a mail protocol command',
  932310: 'a mail protocol command',
  932311: 'a mail protocol command',
  932320: 'a mail protocol command',
  932321: 'a mail protocol command',
  932350: 'a lone command name without arguments',
};

export type CrsFamily = 'lfi' | 'rce' | 'xss' | 'sqli';
const FAMILY_DIRS: Record<CrsFamily, string> = {
  lfi: 'REQUEST-930-APPLICATION-ATTACK-LFI',
  rce: 'REQUEST-932-APPLICATION-ATTACK-RCE',
  xss: 'REQUEST-941-APPLICATION-ATTACK-XSS',
  sqli: 'REQUEST-942-APPLICATION-ATTACK-SQLI',
};

const BOILERPLATE: Record<string, RegExp> = {
  host: /^localhost$/i,
  'user-agent': /^OWASP CRS test agent$/,
  accept: /^text\/xml,application\/xml,application\/xhtml\+xml,text\/html;q=0\.9,text\/plain;q=0\.8,image\/png,\*\/\*;q=0\.5$/,
  connection: /./,
  'proxy-connection': /./,
  'content-length': /./,
};

/** Rule id -> paranoia level, read from the rule files. */
function ruleLevels(rulesDir: string): Map<number, number> {
  const levels = new Map<number, number>();
  for (const f of readdirSync(rulesDir)) {
    if (!f.endsWith('.conf')) continue;
    const text = readFileSync(join(rulesDir, f), 'utf8');
    for (const block of text.split(/^(?=Sec(?:Rule|Action)\b)/m)) {
      const id = /\bid:(\d+)/.exec(block);
      const pl = /tag:'paranoia-level\/(\d)'/.exec(block);
      if (id && pl) levels.set(Number(id[1]), Number(pl[1]));
    }
  }
  return levels;
}

interface YamlStage {
  input?: { method?: string; uri?: string; headers?: Record<string, unknown>; data?: unknown; encoded_request?: string };
  output?: { log?: { expect_ids?: number[] } };
}

/** Reads the positive regression tests of one family. */
function crsCorpus(crsDir: string, family: CrsFamily): CorpusRequest[] {
  const levels = ruleLevels(join(crsDir, 'rules', '@owasp_crs'));
  const dir = join(crsDir, 'tests', FAMILY_DIRS[family]);
  const out: CorpusRequest[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.yaml')) continue;
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { rule_id: number; tests: Array<{ test_id: number; desc?: string; stages: YamlStage[] }> };
    for (const t of doc.tests ?? []) {
      t.stages.forEach((st, i) => {
        const input = st.input;
        if (!input || input.encoded_request !== undefined) return;
        if (!(st.output?.log?.expect_ids ?? []).includes(doc.rule_id)) return;
        const headers: Array<[string, string]> = [];
        for (const [k, v] of Object.entries(input.headers ?? {})) {
          const value = String(v);
          if (BOILERPLATE[k.toLowerCase()]?.test(value)) continue;
          headers.push([k, value]);
        }
        const req: CorpusRequest = {
          id: `${doc.rule_id}-${t.test_id}${t.stages.length > 1 ? `.${i + 1}` : ''}`,
          rule: doc.rule_id,
          pl: levels.get(doc.rule_id) ?? 0,
          method: input.method ?? 'GET',
          uri: input.uri ?? '/',
          headers,
        };
        const fragment = FRAGMENT_RULES[doc.rule_id] ?? (/false positive|\bFP\b/i.test(t.desc ?? '') ? 'documented by the test as a false positive' : undefined);
        if (fragment !== undefined) req.fragment = fragment;
        if (input.data !== undefined && input.data !== null && String(input.data) !== '') {
          req.body = Array.isArray(input.data) ? input.data.join('\r\n') : String(input.data);
          if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
        }
        out.push(req);
      });
    }
  }
  return out;
}

const CORPUS_DIR = new URL('../authz-server/src/inspection/corpus/crs/', import.meta.url).pathname;

function writeCorpus(): void {
  const dir = goModuleDir(CRS_MODULES.crs.module, CRS_MODULES.crs.version);
  mkdirSync(CORPUS_DIR, { recursive: true });
  for (const family of Object.keys(FAMILY_DIRS) as CrsFamily[]) {
    const reqs = crsCorpus(dir, family);
    writeFileSync(join(CORPUS_DIR, `${family}.jsonl`), reqs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    process.stdout.write(`${family}: ${reqs.length} requests\n`);
  }
  writeFileSync(join(CORPUS_DIR, 'LICENSE'), readFileSync(join(dir, 'LICENSE')));
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--write-corpus')) writeCorpus();
