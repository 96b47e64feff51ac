/**
 * Test support for the Helm chart: the tool paths (provisioned by test/support/tools.sh), `helm template` into
 * parsed manifests, and the value scenarios that together set every documented option of values.yaml.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART_DIR = join(ROOT, 'charts/palisade');
const TOOLS = join(ROOT, 'test/support/tools.sh');

const toolCache = new Map<string, string[]>();

/** Absolute path(s) printed by test/support/tools.sh for `name` (provisioning it first when missing). */
export function tool(name: 'helm' | 'prometheus' | 'promtool' | 'crds' | 'istio-crds' | 'h2spec'): string[] {
  let paths = toolCache.get(name);
  if (!paths) {
    const started = Date.now();
    try {
      paths = execFileSync('bash', [TOOLS, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 })
        .split('\n')
        .filter(Boolean);
    } catch (err) {
      throw new Error(`test/support/tools.sh ${name} failed (its message is above): ${(err as Error).message}`);
    }
    const ms = Date.now() - started;
    if (ms > 2000) process.stderr.write(`[chart tests] provisioning ${name} took ${(ms / 1000).toFixed(1)} s\n`);
    toolCache.set(name, paths);
  }
  return paths;
}

export function helmBin(): string {
  const [bin] = tool('helm');
  if (!bin) throw new Error('tools.sh printed no helm path');
  return bin;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], input?: string): RunResult {
  const r = spawnSync(bin, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function helm(args: string[]): RunResult {
  return run(helmBin(), args);
}

/** A Kubernetes object as rendered. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface Rendered {
  /** The raw multi-document YAML (without the CRDs unless includeCrds). */
  yaml: string;
  objects: K8sObject[];
  get(kind: string, nameSuffix?: string): K8sObject;
  find(kind: string, nameSuffix?: string): K8sObject | undefined;
  all(kind: string): K8sObject[];
}

export const RELEASE = 'pal';
export const NAMESPACE = 'palisade-system';

/** Writes `values` to a temporary file (helm reads it with -f) and returns its path and a cleanup. */
function valuesFile(values: unknown): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-values-'));
  const path = join(dir, 'values.yaml');
  writeFileSync(path, stringify(values ?? {}));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `helm template` with `values`; throws with helm's stderr on failure. */
export function render(values: unknown = {}, opts: { namespace?: string; release?: string; includeCrds?: boolean; extraArgs?: string[] } = {}): Rendered {
  const r = tryRender(values, opts);
  if (r.code !== 0) throw new Error(`helm template failed (exit ${r.code}):\n${r.stderr}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
  const find = (kind: string, suffix?: string) => objects.find((o) => o.kind === kind && (suffix === undefined || o.metadata.name.endsWith(suffix)));
  return {
    yaml: r.stdout,
    objects,
    find,
    all: (kind) => objects.filter((o) => o.kind === kind),
    get(kind, suffix) {
      const o = find(kind, suffix);
      if (!o) throw new Error(`no ${kind}${suffix ? ` named *${suffix}` : ''} in the rendered chart (have: ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')})`);
      return o;
    },
  };
}

/** `helm template` that may fail (schema tests). */
export function tryRender(values: unknown = {}, opts: { namespace?: string; release?: string; includeCrds?: boolean; extraArgs?: string[] } = {}): RunResult {
  const f = valuesFile(values);
  try {
    return helm([
      'template',
      opts.release ?? RELEASE,
      CHART_DIR,
      '--namespace',
      opts.namespace ?? NAMESPACE,
      '-f',
      f.path,
      ...(opts.includeCrds ? ['--include-crds'] : []),
      ...(opts.extraArgs ?? []),
    ]);
  } finally {
    f.cleanup();
  }
}

/** values.yaml as an object. */
export function defaultValues(): Record<string, unknown> {
  return parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
}

/**
 * Leaf paths of a values object: scalars, arrays and empty objects are leaves ("a.b.c"); non-empty objects are
 * descended into.
 */
export function leafPaths(v: unknown, prefix = ''): string[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
    return Object.entries(v).flatMap(([k, child]) => leafPaths(child, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

/** Container `name` of a Deployment. */
export function container(deploy: K8sObject, name: string): { args: string[]; env?: Array<{ name: string; value?: string; valueFrom?: unknown }>; volumeMounts?: Array<{ name: string; mountPath: string }>; [k: string]: unknown } {
  const spec = deploy['spec'] as { template: { spec: { containers: Array<{ name: string }> } } };
  const c = spec.template.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name} in ${deploy.metadata.name}`);
  return c as unknown as ReturnType<typeof container>;
}

export function podSpec(deploy: K8sObject): Record<string, unknown> {
  return (deploy['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
}
