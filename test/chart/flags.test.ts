/**
 * What the chart starts the processes with is what they accept: for every scenario, the rendered args and env of
 * the operator and authz-server containers go through the real parseConfig of each (Kubernetes' $(VAR) expansion
 * applied), so a renamed or removed flag fails here rather than in a CrashLoopBackOff.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig as parseAuthzConfig } from '../../authz-server/src/app/config.ts';
import { parseConfig as parseOperatorConfig } from '../../operator/src/config.ts';
import { container, helmBin, render, type K8sObject } from './chart.ts';
import { SCENARIOS } from './scenarios.ts';

beforeAll(() => {
  helmBin();
}, 30 * 60_000);

/** The container's environment as the kubelet would set it (fieldRef/secretKeyRef values stand in). */
function environment(deploy: K8sObject, name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container(deploy, name).env ?? []) {
    env[e.name] = e.value !== undefined ? expand(e.value, env) : `<${e.name} from ${JSON.stringify(e.valueFrom)}>`;
  }
  return env;
}

/** Kubernetes' $(VAR) expansion in args and env values. */
function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
}

describe('chart flags = process flags', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: the operator and the authz-server accept their rendered args and env', (_name, s) => {
    const r = render(s.values, { namespace: 'palisade-system' });
    const op = r.all('Deployment').find((d) => d.metadata.name.endsWith('-operator'));
    const authz = r.all('Deployment').find((d) => d.metadata.name.endsWith('-authz'));
    if (!op || !authz) throw new Error('missing Deployments');

    const opEnv = { ...environment(op, 'operator'), POD_NAMESPACE: 'palisade-system', POD_NAME: 'op-0' };
    const opConfig = parseOperatorConfig(container(op, 'operator').args.map((a) => expand(a, opEnv)), opEnv);
    expect(opConfig.namespace).toBe('palisade-system');
    expect(opConfig.snapshotConfigMap).toMatch(/snapshot$/);
    expect(opConfig.tls !== null).toBe(s.values['tls'] !== undefined && (s.values['tls'] as { enabled?: boolean }).enabled === true);

    const authzEnv = { ...environment(authz, 'authz-server'), POD_NAME: 'authz-0' };
    const authzConfig = parseAuthzConfig(container(authz, 'authz-server').args.map((a) => expand(a, authzEnv)), authzEnv);
    // The authz-server reaches the operator's Service on the operator's gRPC port, and reads the mounted snapshot.
    const opService = r.get('Service', '-operator');
    const grpcPort = (opService['spec'] as { ports: Array<{ name: string; port: number }> }).ports.find((p) => p.name === 'grpc')?.port;
    expect(authzConfig.operator).toBe(`${opService.metadata.name}.palisade-system.svc:${grpcPort}`);
    expect(opConfig.grpcPort).toBe(grpcPort);
    expect(authzConfig.snapshotFile).toBe('/var/run/palisade/snapshot/snapshot.json');
    expect(authzConfig.tls !== null).toBe(opConfig.tls !== null);
    expect(authzConfig.operatorTls !== null).toBe(opConfig.tls !== null);
    // Whose forwarded client address is believed, and which Envoys may send access logs: as the values say.
    const authzValues = (s.values['authz'] ?? {}) as { clientAddress?: { trustedProxies?: string[] }; accessLogPrincipals?: string[] };
    expect(authzConfig.clientAddress.trustedProxies).toEqual(authzValues.clientAddress?.trustedProxies ?? []);
    expect(authzConfig.accessLogPrincipals).toEqual(authzValues.accessLogPrincipals ?? []);
    // Redis: in-memory only when the chart says so.
    const mode = ((s.values['redis'] as { mode?: string } | undefined)?.mode ?? 'internal');
    expect(authzConfig.redisUrl === null).toBe(mode === 'none');
  });
});
