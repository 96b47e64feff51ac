/**
 * test/e2e/kind-istio.sh and .github/workflows/e2e.yaml are not run here (no Docker engine); this keeps them from
 * rotting: the script parses, its helm values render the chart, its policy validates and compiles, and the
 * workflow runs the script.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile } from '../../lib/policy/compile.ts';
import { parsePolicyText } from '../../lib/policy/load.ts';
import { helmBin, render } from '../chart/chart.ts';

const ROOT = join(import.meta.dirname, '../..');
const script = readFileSync(join(ROOT, 'test/e2e/kind-istio.sh'), 'utf8');

beforeAll(() => {
  helmBin();
}, 30 * 60_000);

/** The heredoc bodies of the script, with its variables filled in. */
function heredocs(): string[] {
  const vars: Record<string, string> = { APP: 'demo', NS: 'palisade-system', ISTIO_VERSION: '1.27.3', TAG: 'e2e' };
  return [...script.matchAll(/<<'?EOF'?\n([\s\S]*?)\nEOF\n/g)].map((m) => (m[1] ?? '').replace(/\$([A-Z_]+)/g, (all, v: string) => vars[v] ?? all));
}

describe('test/e2e/kind-istio.sh (NOT RUN HERE)', () => {
  it('is valid bash and says it is not run here', () => {
    const r = spawnSync('bash', ['-n', join(ROOT, 'test/e2e/kind-istio.sh')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(script).toContain('NOT RUN HERE');
  });

  it('installs the chart with values the chart accepts, Istio enabled, the images it built', () => {
    const helmCmd = script.slice(script.indexOf('helm upgrade --install'), script.indexOf('kubectl -n "$NS" rollout status'));
    const sets = [...helmCmd.matchAll(/--set ([\w.]+)=("[^"]*"|\S*)/g)].map((m) => [m[1] ?? '', (m[2] ?? '').replace(/^"|"$/g, '')] as const);
    expect(sets.length).toBeGreaterThan(5);
    const values: Record<string, unknown> = {};
    for (const [path, raw] of sets) {
      const keys = path.split('.');
      let node = values;
      for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
      const value = raw === '$TAG' ? 'e2e' : raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
      node[keys.at(-1) ?? ''] = value;
    }
    const r = render(values, { release: 'palisade', namespace: 'palisade-system' });
    const authz = r.get('Deployment', 'palisade-authz');
    const image = (authz['spec'] as { template: { spec: { containers: Array<{ image: string; imagePullPolicy: string }> } } }).template.spec.containers[0];
    expect(image).toMatchObject({ image: 'palisade-authz-server:e2e', imagePullPolicy: 'Never' });
    // The MeshConfig provider in the script points at the Service the chart creates.
    expect(heredocs().join('\n')).toContain(`service: ${r.get('Service', 'palisade-authz').metadata.name}.palisade-system.svc.cluster.local`);
    expect(JSON.stringify(r.get('ClusterRole')['rules'])).toContain('security.istio.io');
  });

  it('applies a policy that validates and compiles', () => {
    const text = heredocs().find((h) => h.includes('kind: ApiProtectionPolicy'));
    expect(text).toBeTruthy();
    const loaded = parsePolicyText(text ?? '', 'kind-istio.sh');
    expect(loaded.errors).toEqual([]);
    expect(loaded.documents).toHaveLength(1);
    const { violations, snapshot } = compile(loaded.documents.map((d) => ({ ...(d as object), metadata: { ...(d as { metadata: object }).metadata, generation: 1 } })) as never, [], new Date());
    expect(violations).toEqual([]);
    expect(snapshot.policies).toHaveLength(1);
  });
});

describe('.github/workflows/e2e.yaml (NOT RUN HERE)', () => {
  it('parses, is marked, and runs the script', () => {
    const text = readFileSync(join(ROOT, '.github/workflows/e2e.yaml'), 'utf8');
    expect(text).toContain('NOT RUN');
    const wf = parse(text) as { jobs: Record<string, { steps: Array<{ run?: string; uses?: string }> }> };
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    expect(steps.some((s) => s.run?.includes('test/e2e/kind-istio.sh'))).toBe(true);
    expect(steps.some((s) => s.uses?.startsWith('helm/kind-action'))).toBe(true);
  });
});
