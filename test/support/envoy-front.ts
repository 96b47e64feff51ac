/**
 * A test-only HTTP front that does what an edge Envoy with the ext_authz HTTP filter (gRPC, transport V3) does,
 * for tests that need a real client (a browser) in front of Palisade and a real upstream behind it. Envoy cannot
 * run here; this front follows its documented behaviour and its source:
 *
 * Request side (HTTP connection manager with use_remote_address: true, as at the edge):
 * - headers become a lowercase map with `:authority` (from Host), `:method`, `:path` (query included), `:scheme`;
 *   repeated headers are joined by ","; hop-by-hop headers are dropped;
 * - client-supplied `x-envoy-*` headers are removed (the client is external), `x-envoy-external-address` is set
 *   to the TCP peer, the peer is appended to `x-forwarded-for`, `x-forwarded-proto` is set, `x-request-id` is
 *   generated when absent;
 * - the CheckRequest carries `source.address` (the TCP peer), `destination.address`, `request.http` with `id`
 *   (a stream id), `method`, `path`, `host`, `scheme`, `protocol`, `headers`, and the body when with_request_body
 *   is configured (`x-envoy-auth-partial-body` when it was cut).
 * Check result:
 * - status.code 0: OK. `ok_response.headers` are applied to the upstream request as header mutations,
 *   `headers_to_remove` removes headers except pseudo-headers and Host, `response_headers_to_add` are applied to
 *   the upstream's response headers;
 * - any other code: denied. A local reply with `denied_response.status` (403 when unset), its body (Envoy's
 *   default `content-type: text/plain` when there is a body), then `denied_response.headers` as mutations;
 * - an RPC error or timeout: `status_on_error` (Envoy's default 403), or the request passes with
 *   failure_mode_allow.
 * Header mutations: a set `append` (BoolValue) means true = append to an existing value with "," (or add),
 * false = overwrite (or add); otherwise `append_action` (APPEND_IF_EXISTS_OR_ADD adds another line,
 * ADD_IF_ABSENT, OVERWRITE_IF_EXISTS_OR_ADD, OVERWRITE_IF_EXISTS).
 *
 * Strictness: what Envoy versions disagree on is recorded in `violations` (and answered 500) rather than
 * guessed: an option with neither `append` nor `append_action` (older versions default to overwrite, newer to
 * append) and two overwriting options for one header name in one list (older local replies keep both, newer keep
 * the last). A test asserts that `violations` stays empty.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckRequest, CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import { authzClient, type AuthzClient } from './envoy.ts';

/** One header as a list entry (lowercase name). */
type Entry = [string, string];

/** Options mirroring the ext_authz filter's configuration. */
export interface EnvoyFrontOptions {
  /** The authz-server's gRPC port on 127.0.0.1. */
  authzPort: number;
  /** The upstream cluster. */
  upstream: { host: string; port: number };
  /** grpc_service.timeout (Envoy's default 200 ms; generous here, the machine is shared). */
  timeoutMs?: number;
  /** status_on_error (Envoy's default 403). */
  statusOnError?: number;
  /** failure_mode_allow. */
  failureModeAllow?: boolean;
  /** with_request_body; null = no body in the CheckRequest. */
  withRequestBody?: { maxRequestBytes: number; allowPartialMessage: boolean } | null;
}

/** One exchange with the authz-server, for assertions. */
export interface CheckExchange {
  request: CheckRequest;
  response: CheckResponse | null;
  error: string | null;
}

/** A running front. */
export interface EnvoyFront {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Every Check made, in order. */
  exchanges: CheckExchange[];
  /** Uses of the ext_authz API whose effect differs between Envoy versions (must stay empty). */
  violations: string[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'trailer']);

type Option = { header?: { key?: string; value?: string }; append?: { value?: boolean } | null; append_action?: number | string };

const ACTIONS = ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'] as const;

function actionOf(opt: Option, where: string, violations: string[]): { action: (typeof ACTIONS)[number]; legacyAppend: boolean } {
  if (opt.append !== undefined && opt.append !== null) {
    return opt.append.value === true ? { action: 'APPEND_IF_EXISTS_OR_ADD', legacyAppend: true } : { action: 'OVERWRITE_IF_EXISTS_OR_ADD', legacyAppend: false };
  }
  if (opt.append_action === undefined) {
    violations.push(`${where}: header "${opt.header?.key}" sets neither append nor append_action (the default differs between Envoy versions)`);
    return { action: 'OVERWRITE_IF_EXISTS_OR_ADD', legacyAppend: false };
  }
  const action = typeof opt.append_action === 'number' ? ACTIONS[opt.append_action] : (opt.append_action as (typeof ACTIONS)[number]);
  if (!action) throw new Error(`${where}: unknown append_action ${String(opt.append_action)}`);
  return { action, legacyAppend: false };
}

/** Applies header value options to a header list the way the ext_authz filter does. */
export function applyHeaderOptions(list: Entry[], options: Option[] | undefined, where: string, violations: string[]): void {
  const overwritten = new Set<string>();
  for (const opt of options ?? []) {
    const key = (opt.header?.key ?? '').toLowerCase();
    const value = opt.header?.value ?? '';
    if (key === '') throw new Error(`${where}: header option without a key`);
    const { action, legacyAppend } = actionOf(opt, where, violations);
    const has = list.some(([k]) => k === key);
    const remove = () => {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]![0] === key) list.splice(i, 1);
    };
    if (action === 'OVERWRITE_IF_EXISTS_OR_ADD' || action === 'OVERWRITE_IF_EXISTS') {
      if (overwritten.has(key)) violations.push(`${where}: header "${key}" overwritten twice in one list (Envoy versions keep both or only the last)`);
      overwritten.add(key);
    }
    switch (action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        if (legacyAppend && has) {
          const entry = list.find(([k]) => k === key)!;
          entry[1] = `${entry[1]},${value}`;
        } else list.push([key, value]);
        break;
      case 'ADD_IF_ABSENT':
        if (!has) list.push([key, value]);
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        remove();
        list.push([key, value]);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (has) {
          remove();
          list.push([key, value]);
        }
        break;
    }
  }
}

/** Envoy's view of the downstream request headers, with the edge's own additions. */
function requestHeaders(req: http.IncomingMessage, peer: string): Entry[] {
  const joined = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (HOP_BY_HOP.has(name) || name.startsWith('x-envoy-')) continue;
    const prior = joined.get(name);
    joined.set(name, prior === undefined ? value : `${prior},${value}`);
  }
  const authority = joined.get('host') ?? '';
  joined.delete('host');
  const xff = joined.get('x-forwarded-for');
  const list: Entry[] = [
    [':authority', authority],
    [':path', req.url ?? '/'],
    [':method', req.method ?? 'GET'],
    [':scheme', 'http'],
    ...[...joined].filter(([k]) => k !== 'x-forwarded-for' && k !== 'x-forwarded-proto'),
    ['x-forwarded-for', xff ? `${xff},${peer}` : peer],
    ['x-forwarded-proto', 'http'],
    ['x-envoy-external-address', peer],
  ];
  if (!joined.has('x-request-id')) list.push(['x-request-id', randomUUID()]);
  return list;
}

function toMap(list: Entry[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of list) out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  return out;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, headers: Entry[], body: Buffer | string, head: boolean): void {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of headers) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  for (const [k, v] of grouped) res.setHeader(k, v.length === 1 ? v[0]! : v);
  res.statusCode = status;
  res.end(head ? undefined : body);
}

/** Starts the front on a free loopback port. */
export async function startEnvoyFront(opts: EnvoyFrontOptions): Promise<EnvoyFront> {
  const client: AuthzClient = authzClient(opts.authzPort);
  const exchanges: CheckExchange[] = [];
  const violations: string[] = [];
  const statusOnError = opts.statusOnError ?? 403;
  const withBody = opts.withRequestBody === undefined ? { maxRequestBytes: 8192, allowPartialMessage: true } : opts.withRequestBody;
  let streamId = 0;

  const localReply = (res: http.ServerResponse, status: number, body: string, options: Option[] | undefined, head: boolean) => {
    const headers: Entry[] = body === '' ? [] : [['content-type', 'text/plain']];
    const before = violations.length;
    applyHeaderOptions(headers, options, 'denied_response.headers', violations);
    if (violations.length > before) return send(res, 500, [], `test front: ${violations.slice(before).join('; ')}`, head);
    headers.push(['content-length', String(Buffer.byteLength(body))]);
    send(res, status, headers, body, head);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const peer = req.socket.remoteAddress ?? '';
    const head = req.method === 'HEAD';
    const headers = requestHeaders(req, peer);
    const body = await readBody(req);
    const http1: NonNullable<NonNullable<NonNullable<CheckRequest['attributes']>['request']>['http']> = {
      id: String(++streamId),
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      host: headers.find(([k]) => k === ':authority')?.[1] ?? '',
      scheme: 'http',
      protocol: `HTTP/${req.httpVersion}`,
      size: String(body.length),
    };
    const checkHeaders = [...headers];
    if (withBody && body.length > 0) {
      const cut = body.length > withBody.maxRequestBytes;
      if (cut && !withBody.allowPartialMessage) return localReply(res, 413, 'Payload Too Large', [], head);
      http1.body = body.subarray(0, withBody.maxRequestBytes).toString('utf8');
      if (cut) checkHeaders.push(['x-envoy-auth-partial-body', 'true']);
    }
    http1.headers = toMap(checkHeaders);
    const local = req.socket.address() as AddressInfo;
    const check: CheckRequest = {
      attributes: {
        source: { address: { socket_address: { address: peer, port_value: req.socket.remotePort ?? 0 } } },
        destination: { address: { socket_address: { address: local.address, port_value: local.port } } },
        request: { http: http1 },
      },
    };
    const exchange: CheckExchange = { request: check, response: null, error: null };
    exchanges.push(exchange);
    let answer: CheckResponse;
    try {
      answer = await client.check(check, opts.timeoutMs ?? 2000);
      exchange.response = answer;
    } catch (err) {
      exchange.error = (err as Error).message;
      if (!opts.failureModeAllow) return localReply(res, statusOnError, '', [], head);
      headers.push(['x-envoy-auth-failure-mode-allowed', 'true']);
      answer = { status: { code: 0 } };
    }

    if ((answer.status?.code ?? 0) !== 0) {
      const denied = answer.denied_response;
      const status = denied?.status?.code && denied.status.code > 0 ? denied.status.code : 403;
      return localReply(res, status, denied?.body ?? '', denied?.headers as Option[] | undefined, head);
    }

    const ok = answer.ok_response;
    const before = violations.length;
    applyHeaderOptions(headers, ok?.headers as Option[] | undefined, 'ok_response.headers', violations);
    for (const name of ok?.headers_to_remove ?? []) {
      const key = name.toLowerCase();
      if (key.startsWith(':') || key === 'host') continue;
      for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0] === key) headers.splice(i, 1);
    }
    const responseOptions = ok?.response_headers_to_add as Option[] | undefined;
    applyHeaderOptions([], responseOptions, 'ok_response.response_headers_to_add', violations);
    if (violations.length > before) return send(res, 500, [], `test front: ${violations.slice(before).join('; ')}`, head);

    const pseudo = new Map(headers.filter(([k]) => k.startsWith(':')));
    const upstreamHeaders: [string, string][] = [['host', pseudo.get(':authority') ?? ''], ...headers.filter(([k]) => !k.startsWith(':'))];
    const up = http.request({
      host: opts.upstream.host,
      port: opts.upstream.port,
      method: pseudo.get(':method'),
      path: pseudo.get(':path'),
      headers: upstreamHeaders.flat(),
    });
    up.on('response', (upRes) => {
      const list: Entry[] = [];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
        const name = upRes.rawHeaders[i]!.toLowerCase();
        if (!HOP_BY_HOP.has(name)) list.push([name, upRes.rawHeaders[i + 1]!]);
      }
      applyHeaderOptions(list, responseOptions, 'ok_response.response_headers_to_add', []);
      readBody(upRes).then((b) => send(res, upRes.statusCode ?? 502, list, b, head), () => send(res, 502, [], 'upstream reset', head));
    });
    up.on('error', () => send(res, 503, [['content-type', 'text/plain']], 'upstream connect error', head));
    up.end(body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      violations.push(`front error: ${err.message}`);
      if (!res.headersSent) send(res, 500, [], `test front: ${err.message}`, false);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    exchanges,
    violations,
    async close() {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
