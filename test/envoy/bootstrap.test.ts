/**
 * examples/envoy/bootstrap.yaml parses into Envoy's official envoy.config.bootstrap.v3.Bootstrap (protos from
 * @grpc/grpc-js-xds), strictly: unknown fields anywhere, including in typed_config payloads, fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvoyConfigError, EnvoyProtos, parseEnvoyConfig } from '../support/envoy-config.ts';

const ROOT = join(import.meta.dirname, '../..');
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const source = readFileSync(join(ROOT, 'examples/envoy/bootstrap.yaml'), 'utf8');
let protos: EnvoyProtos;

beforeAll(() => {
  protos = new EnvoyProtos();
});

/** A fresh copy of the example, changed by `edit`. */
function mutated(edit: (cfg: any) => void): unknown {
  const cfg = parse(source);
  edit(cfg);
  return cfg;
}

function problems(cfg: unknown): string[] {
  try {
    parseEnvoyConfig(protos, BOOTSTRAP, cfg);
  } catch (err) {
    if (err instanceof EnvoyConfigError) return err.problems;
    throw err;
  }
  return [];
}

const hcmPath = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config(HttpConnectionManager)';
const hcm = (cfg: any) => cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const extAuthz = (cfg: any) => hcm(cfg).http_filters[0].typed_config;
const router = (cfg: any) => hcm(cfg).http_filters[1].typed_config;

describe('examples/envoy/bootstrap.yaml', () => {
  it('parses into envoy.config.bootstrap.v3.Bootstrap, every @type resolved', { timeout: 60_000 }, () => {
    const { message, bytes, types } = parseEnvoyConfig(protos, BOOTSTRAP, parse(source));
    expect(bytes).toBeGreaterThan(500);
    expect([...new Set(types)].sort()).toEqual([
      'envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
      'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
      'envoy.extensions.filters.http.router.v3.Router',
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    ]);
    const clusters = (message['static_resources'] as { clusters: Array<{ name: string }> }).clusters;
    expect(clusters.map((c) => c.name)).toEqual(['palisade', 'palisade-access-log', 'httpbin']);
  });

  it('configures ext_authz as Palisade needs it: gRPC to Palisade, peer certificate, fail closed with 503, request body', () => {
    const protosType = protos.ensureType('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
    expect(protosType).not.toBeNull();
    const cfg = parse(source);
    const ea = extAuthz(cfg);
    expect(hcm(cfg).http_filters.map((f: { name: string }) => f.name)).toEqual(['envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
    expect(ea).toMatchObject({
      transport_api_version: 'V3',
      grpc_service: { envoy_grpc: { cluster_name: 'palisade' } },
      include_peer_certificate: true,
      failure_mode_allow: false,
      status_on_error: { code: 'ServiceUnavailable' },
      with_request_body: { max_request_bytes: 65536, allow_partial_message: true },
    });
    // Envoy, Palisade and the upstream read one path: dots resolved and escaped slashes refused before ext_authz.
    expect(hcm(cfg)).toMatchObject({ normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'REJECT_REQUEST' });
    const als = hcm(cfg).access_log[0].typed_config;
    expect(als.common_config).toMatchObject({ transport_api_version: 'V3', grpc_service: { envoy_grpc: { cluster_name: 'palisade-access-log' } } });
    // Check on the Check port, access logs on the gRPC port: two clusters, so that their streams never share a connection.
    const [palisade, accessLog] = cfg.static_resources.clusters;
    expect([palisade.name, accessLog.name]).toEqual(['palisade', 'palisade-access-log']);
    expect(palisade.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(9003);
    expect(accessLog.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(9001);
    for (const c of [palisade, accessLog]) {
      expect(c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toHaveProperty('http2_protocol_options');
      expect(c.transport_socket.typed_config.common_tls_context.tls_certificates).toHaveLength(1);
    }
  });

  const refusals: Array<[string, (cfg: any) => void, string]> = [
    ['an unknown top-level field', (c) => (c.static_resourcez = {}), 'static_resourcez: unknown field "static_resourcez" in envoy.config.bootstrap.v3.Bootstrap'],
    ['an unknown field in the ext_authz typed_config', (c) => (extAuthz(c).failure_mode_allowed = false), `${hcmPath}.http_filters[0].typed_config(ExtAuthz).failure_mode_allowed: unknown field "failure_mode_allowed" in envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`],
    ['an unknown field in the router typed_config', (c) => (router(c).dynamic_statz = true), `${hcmPath}.http_filters[1].typed_config(Router).dynamic_statz: unknown field "dynamic_statz"`],
    ['an unknown field deep inside ext_authz', (c) => (extAuthz(c).grpc_service.envoy_grpc.cluster = 'x'), 'typed_config(ExtAuthz).grpc_service.envoy_grpc.cluster: unknown field "cluster" in envoy.config.core.v3.GrpcService.EnvoyGrpc'],
    ['an unknown field in the access log config', (c) => (hcm(c).access_log[0].typed_config.common_config.log_nam = 'x'), 'typed_config(HttpGrpcAccessLogConfig).common_config.log_nam: unknown field'],
    ['an unknown field in a cluster', (c) => (c.static_resources.clusters[0].connect_timout = '1s'), 'static_resources.clusters[0].connect_timout: unknown field "connect_timout" in envoy.config.cluster.v3.Cluster'],
    ['an @type that Envoy does not have', (c) => (router(c)['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Routerz'), '@type type.googleapis.com/envoy.extensions.filters.http.router.v3.Routerz: no such message'],
    ['an @type of the wrong message for its payload', (c) => (extAuthz(c)['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'), 'typed_config(Router).transport_api_version: unknown field'],
    ['a port that is not a number', (c) => (c.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 'ninety'), 'port_value: expected an integer (uint32), got "ninety"'],
    ['a timeout that is not a Duration', (c) => (extAuthz(c).grpc_service.timeout = '250ms'), 'grpc_service.timeout: expected a Duration like "1.5s", got "250ms"'],
    ['an unknown enum value', (c) => (extAuthz(c).status_on_error.code = 'TeaPot'), 'status_on_error.code: "TeaPot" is not a value of enum envoy.type.v3.StatusCode'],
    ['both members of a oneof', (c) => (c.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.pipe = { path: '/tmp/s' }), 'are both set, but they are one oneof (address)'],
    ['a missing required oneof (grpc_service target)', (c) => delete extAuthz(c).grpc_service.envoy_grpc, 'one of envoy_grpc, google_grpc is required in envoy.config.core.v3.GrpcService'],
    ['an empty cluster name', (c) => (c.static_resources.clusters[1].name = ''), 'static_resources.clusters[1].name: must have at least 1 character(s)'],
    ['a scalar where a list belongs', (c) => (hcm(c).http_filters = { name: 'x' }), 'http_filters: expected a list for repeated field "http_filters"'],
  ];
  it.each(refusals)('refuses %s', (_what, edit, expected) => {
    const found = problems(mutated(edit));
    expect(found.join('\n')).toContain(expected);
  });

  it('accepts json_name (camelCase) spellings, as Envoy does', () => {
    expect(problems(mutated((c) => (extAuthz(c).failureModeAllow = extAuthz(c).failure_mode_allow) && delete extAuthz(c).failure_mode_allow))).toEqual([]);
  });
});
