#!/usr/bin/env node
/**
 * The `palisade` CLI.
 *   palisade validate <files|dirs...>                      schema + compiler checks, exit 1 on any problem
 *   palisade check --policies <dir> --request <json|@file>  offline verdict with each stage's explanation
 *   palisade check --server <host:port> --request ...       the same request to a live authz-server over gRPC
 *   palisade inventory (--server <url> | --file <json>) [--openapi [--policy <ns/name>]]
 *                                                           the cluster-wide API inventory, or OpenAPI 3.1 of it
 * The request is an Envoy CheckRequest in JSON (proto field names), or the short form (see USAGE).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import type { InventoryReport } from '../discovery/inventory.ts';
import { inventoryToOpenApi, observedPolicies } from '../discovery/openapi-out.ts';
import { toCheckResponse } from '../pipeline/response.ts';
import * as grpc from '@grpc/grpc-js';
import { envoyServices, type CheckRequest, type CheckResponse } from '../envoy/protos.ts';
import type { RequestShapeBase } from '../envoy/request-shape.ts';
import { loadSnapshotFromFiles } from '../sources/file-source.ts';
import { evaluateRequest } from '../pipeline/pipeline.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { buildRuntime } from '../pipeline/runtime.ts';
import { compileLoaded, formatLoadError, loadPolicyFiles } from '../../../lib/policy/load.ts';
import { lintPolicy } from '../../../lib/policy/lint.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { RateLimiter } from '../pipeline/rate-limiter.ts';

const USAGE = `Usage:
  palisade validate <file|dir>...
      Schema and compiler checks of ApiProtectionPolicy YAML (read as YAML 1.1, like kubectl); exit 1 on any
      error, warnings (exit 0) for what compiles but may surprise.
  palisade check (--policies <file|dir>... | --server <host:port>) --request <json | @file.json> [--json]
      The verdict for one request: offline against policy files, with each stage's explanation, or from a live
      authz-server's ext_authz gRPC port (plaintext). Exit 0 allowed, 1 denied, 2 usage or input error.

  --request takes an Envoy CheckRequest in JSON (proto field names, {"attributes": ...}) or this short form;
  any other key is an error:
    host        :authority, e.g. "api.example.com" (default "")
    method      HTTP method (default GET)
    path        path with query string (default /)
    headers     object of header name -> value (names are lowercased)
    principal   mTLS peer identity as Istio reports it, e.g. "spiffe://cluster.local/ns/shop/sa/frontend"
                (omit for a plaintext caller)
    sourceIp    TCP peer address (default 127.0.0.1)
    body        request body (what Envoy forwards with with_request_body)
  palisade inventory (--server <http://authz-server:9090> | --file <inventory.json>) [--openapi [--policy <ns/name>]] [--yaml]
      The API inventory of all replicas (an authz-server's HTTP port, or a saved /inventory document) as JSON, or
      with --openapi an OpenAPI 3.1 description of what one policy's traffic showed (--yaml: as YAML).
`;

/** The keys of the short request form (USAGE documents each). */
const SHORT_REQUEST_KEYS = ['host', 'method', 'path', 'headers', 'principal', 'sourceIp', 'body'] as const;

type Out = (line: string) => void;

/** `palisade validate`: returns the exit code. */
async function validateCommand(paths: string[], out: Out, err: Out): Promise<number> {
  if (paths.length === 0) {
    err(USAGE);
    return 2;
  }
  const loaded = await loadPolicyFiles(paths);
  let problems = 0;
  for (const e of loaded.errors) for (const line of formatLoadError(e)) {
    err(`error: ${line}`);
    problems++;
  }
  const { snapshot, violations } = compileLoaded(loaded, new Date());
  for (const v of violations) {
    const line = `${v.policy}: ${v.reason}${v.field ? ` at ${v.field}` : ''}: ${v.message}`;
    if (v.included) err(`warning: ${line}`);
    else {
      err(`error: ${line}`);
      problems++;
    }
  }
  for (const doc of loaded.documents) for (const w of lintPolicy(doc)) err(`warning: ${w.policy}: at ${w.field}: ${w.message}`);
  for (const p of snapshot.policies) out(`ok: ${p.id} (hosts ${p.hosts.join(', ')})`);
  if (loaded.documents.length === 0 && loaded.errors.length === 0) {
    err(`error: no ApiProtectionPolicy documents in ${paths.join(', ')}`);
    problems++;
  }
  out(problems === 0 ? `valid: ${snapshot.policies.length} policies, snapshot ${snapshot.version}` : `invalid: ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}


/** Accepts a full CheckRequest or the short form; unknown or mistyped short-form keys are an error. */
function toCheckRequest(input: unknown): CheckRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('request must be a JSON object');
  if ('attributes' in input) return input as CheckRequest;
  const unknown = Object.keys(input).filter((k) => !(SHORT_REQUEST_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the short form takes ${SHORT_REQUEST_KEYS.join(', ')}`);
  for (const [k, v] of Object.entries(input)) {
    const ok = k === 'headers' ? typeof v === 'object' && v !== null && !Array.isArray(v) : typeof v === 'string';
    if (!ok) throw new Error(`${k} must be ${k === 'headers' ? 'an object of header name -> value' : 'a string'}`);
  }
  const s = input as RequestShapeBase;
  const headers: Record<string, string> = {
    ':authority': s.host ?? '',
    ':method': s.method ?? 'GET',
    ':path': s.path ?? '/',
    ...Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
  };
  return {
    attributes: {
      source: { address: { socket_address: { address: s.sourceIp ?? '127.0.0.1', port_value: 0 } }, ...(s.principal ? { principal: s.principal } : {}) },
      request: { http: { headers, method: headers[':method'], path: headers[':path'], host: headers[':authority'], ...(s.body ? { body: s.body } : {}) } },
    },
  };
}

/** The --request argument (JSON or @file) as a CheckRequest; null after reporting why it is not one. */
async function readRequest(requestArg: string, err: Out): Promise<CheckRequest | null> {
  try {
    const text = requestArg.startsWith('@') ? await readFile(requestArg.slice(1), 'utf8') : requestArg;
    return toCheckRequest(JSON.parse(text));
  } catch (e) {
    err(`error: --request: ${(e as Error).message}`);
    return null;
  }
}

function responseHeaders(res: CheckResponse): Record<string, string> {
  const list = res.denied_response?.headers ?? res.ok_response?.headers ?? [];
  return Object.fromEntries(list.map((h) => [h.header?.key ?? '', h.header?.value ?? '']));
}

/** `palisade check --server`: the request to a live authz-server; returns the exit code. */
async function checkServerCommand(server: string, requestArg: string, asJson: boolean, out: Out, err: Out, timeoutMs = 5000): Promise<number> {
  const request = await readRequest(requestArg, err);
  if (request === null) return 2;
  const { authorization } = envoyServices();
  const client = new authorization(server, grpc.credentials.createInsecure());
  try {
    const res = await new Promise<CheckResponse>((resolve, reject) => {
      (client as unknown as { Check(r: CheckRequest, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: CheckResponse) => void): void }).Check(
        request,
        { deadline: Date.now() + timeoutMs },
        (e, r) => (e ? reject(e) : resolve(r)),
      );
    });
    const headers = responseHeaders(res);
    const allowed = res.status?.code === 0;
    const reason = headers['x-palisade-reason'] ?? null;
    if (asJson) {
      out(JSON.stringify({ verdict: allowed ? 'allow' : 'deny', reason, response: res }, null, 2));
    } else {
      out(`verdict: ${allowed ? 'ALLOW' : `DENY ${reason ?? '?'} (HTTP ${res.denied_response?.status?.code ?? '?'})`}`);
      out(`server:  ${server}`);
      for (const [k, v] of Object.entries(headers)) out(`  ${k}: ${v}`);
      for (const k of res.ok_response?.headers_to_remove ?? []) out(`  (removed upstream) ${k}`);
    }
    return allowed ? 0 : 1;
  } catch (e) {
    err(`error: ${server}: ${(e as Error).message}`);
    return 2;
  } finally {
    client.close();
  }
}

/** `palisade check`: returns the exit code (0 allowed, 1 denied, 2 usage or input error). */
async function checkCommand(policies: string[], requestArg: string, asJson: boolean, out: Out, err: Out): Promise<number> {
  const load = await loadSnapshotFromFiles(policies);
  if (!load.ok) {
    for (const p of load.problems) err(`error: ${p}`);
    return 2;
  }
  const request = await readRequest(requestArg, err);
  if (request === null) return 2;
  const store = new MemoryCounterStore();
  try {
    const runtime = buildRuntime(load.snapshot);
    const req = toRequestContext(request);
    const outcome = await evaluateRequest(runtime, req, { limiter: new RateLimiter({ store, fallback: store }), clock: Date.now });
    const response = toCheckResponse(outcome, req.requestId);
    if (asJson) {
      out(JSON.stringify({ verdict: outcome.kind, reason: outcome.kind === 'deny' ? outcome.denial.reason : (outcome.wouldDeny?.reason ?? null), policy: outcome.policy?.id ?? null, trace: outcome.trace, response }, null, 2));
    } else {
      const verdict = outcome.kind === 'deny' ? `DENY ${outcome.denial.reason} (HTTP ${response.denied_response?.status.code})` : outcome.wouldDeny ? `ALLOW (monitor: would deny ${outcome.wouldDeny.reason})` : 'ALLOW';
      out(`verdict: ${verdict}`);
      out(`policy:  ${outcome.policy?.id ?? '-'}`);
      for (const t of outcome.trace) out(`  ${t.stage.padEnd(15)} ${t.result.padEnd(10)} ${t.detail}`);
    }
    return outcome.kind === 'deny' ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** Where `palisade inventory` reads the inventory: a live server's HTTP port, or a saved /inventory document. */
export interface InventorySource {
  server?: string;
  file?: string;
}

async function readInventory(from: InventorySource): Promise<InventoryReport> {
  if (from.file) return JSON.parse(await readFile(from.file, 'utf8')) as InventoryReport;
  const url = new URL('/inventory', from.server);
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status} ${(await res.text()).trim()}`);
  return (await res.json()) as InventoryReport;
}

/** `palisade inventory`: prints the inventory (JSON) or OpenAPI 3.1 of what was observed; returns the exit code. */
async function inventoryCommand(from: InventorySource, opts: { openapi: boolean; policy?: string; yaml: boolean }, out: Out, err: Out): Promise<number> {
  if (!from.server === !from.file) {
    err(`error: give exactly one of --server and --file\n${USAGE}`);
    return 2;
  }
  let report: InventoryReport;
  try {
    report = await readInventory(from);
    if (!Array.isArray(report.endpoints)) throw new Error('not an inventory document (no endpoints)');
  } catch (e) {
    err(`error: inventory: ${(e as Error).message}`);
    return 2;
  }
  let doc: unknown = report;
  if (opts.openapi) {
    const observed = observedPolicies(report);
    const policy = opts.policy ?? (observed.length === 1 ? observed[0] : undefined);
    if (policy === undefined || !observed.includes(policy)) {
      err(`error: --policy ${policy ?? '(missing)'}: name one of the observed policies: ${observed.join(', ') || 'none'}`);
      return 2;
    }
    doc = inventoryToOpenApi(report, policy);
  }
  out(opts.yaml ? toYaml(doc).trimEnd() : JSON.stringify(doc, null, 2));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const out: Out = (l) => process.stdout.write(`${l}\n`);
  const err: Out = (l) => process.stderr.write(`${l}\n`);
  const [command, ...rest] = argv;
  if (rest.includes('--help')) {
    out(USAGE);
    return 0;
  }
  if (command === 'validate') return validateCommand(rest, out, err);
  if (command === 'check') {
    let values;
    try {
      ({ values } = parseArgs({ args: rest, options: { policies: { type: 'string', multiple: true }, server: { type: 'string' }, request: { type: 'string' }, json: { type: 'boolean' } } }));
    } catch (e) {
      err(`error: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if (!values.request || (values.policies === undefined) === (values.server === undefined)) {
      err(`error: give --request and exactly one of --policies or --server\n${USAGE}`);
      return 2;
    }
    if (values.server !== undefined) return checkServerCommand(values.server, values.request, values.json ?? false, out, err);
    return checkCommand(values.policies ?? [], values.request, values.json ?? false, out, err);
  }
  if (command === 'inventory') {
    let values;
    try {
      ({ values } = parseArgs({ args: rest, options: { server: { type: 'string' }, file: { type: 'string' }, openapi: { type: 'boolean' }, policy: { type: 'string' }, yaml: { type: 'boolean' } } }));
    } catch (e) {
      err(`error: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    const from = { ...(values.server ? { server: values.server } : {}), ...(values.file ? { file: values.file } : {}) };
    return inventoryCommand(from, { openapi: values.openapi ?? false, yaml: values.yaml ?? false, ...(values.policy ? { policy: values.policy } : {}) }, out, err);
  }
  if (command === undefined || command === '--help' || command === 'help') {
    out(USAGE);
    return 0;
  }
  err(`error: unknown command ${JSON.stringify(command)}\n${USAGE}`);
  return 2;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
