#!/usr/bin/env node
/**
 * The `palisade` CLI.
 *   palisade validate <files|dirs...>                      schema + compiler checks, exit 1 on any problem
 *   palisade check --policies <dir> --request <json|@file>  offline verdict with each stage's explanation
 * The request is an Envoy CheckRequest in JSON (proto field names), or the short form
 * {"host","method","path","headers","principal","sourceIp","body"}.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { toCheckResponse } from '../pipeline/response.ts';
import type { CheckRequest } from '../envoy/protos.ts';
import { loadSnapshotFromFiles } from '../sources/file-source.ts';
import { evaluateRequest } from '../pipeline/pipeline.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { buildRuntime } from '../pipeline/runtime.ts';
import { compile } from '../../../lib/policy/compile.ts';
import { formatLoadError, loadPolicyFiles } from '../../../lib/policy/load.ts';
import { secretsFrom } from '../../../lib/policy/secrets.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { RateLimiter } from '../pipeline/rate-limiter.ts';

const USAGE = `Usage:
  palisade validate <file|dir>...
  palisade check --policies <file|dir> --request <json | @file.json> [--json]
`;

type Out = (line: string) => void;

/** `palisade validate`: returns the exit code. */
export async function validateCommand(paths: string[], out: Out, err: Out): Promise<number> {
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
  const { snapshot, violations } = compile(loaded.documents, secretsFrom(loaded.others), new Date());
  for (const v of violations) {
    const line = `${v.policy}: ${v.reason}${v.field ? ` at ${v.field}` : ''}: ${v.message}`;
    if (v.included) err(`warning: ${line}`);
    else {
      err(`error: ${line}`);
      problems++;
    }
  }
  for (const p of snapshot.policies) out(`ok: ${p.id} (hosts ${p.hosts.join(', ')})`);
  if (loaded.documents.length === 0 && loaded.errors.length === 0) {
    err(`error: no ApiProtectionPolicy documents in ${paths.join(', ')}`);
    problems++;
  }
  out(problems === 0 ? `valid: ${snapshot.policies.length} policies, snapshot ${snapshot.version}` : `invalid: ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

interface ShortRequest {
  host?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  principal?: string;
  sourceIp?: string;
  body?: string;
}

/** Accepts a full CheckRequest or the short form. */
export function toCheckRequest(input: unknown): CheckRequest {
  if (typeof input !== 'object' || input === null) throw new Error('request must be a JSON object');
  if ('attributes' in input) return input as CheckRequest;
  const s = input as ShortRequest;
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

/** `palisade check`: returns the exit code (0 allowed, 1 denied, 2 usage or input error). */
export async function checkCommand(policies: string[], requestArg: string, asJson: boolean, out: Out, err: Out): Promise<number> {
  const load = await loadSnapshotFromFiles(policies);
  if (!load.ok) {
    for (const p of load.problems) err(`error: ${p}`);
    return 2;
  }
  let request: CheckRequest;
  try {
    const text = requestArg.startsWith('@') ? await readFile(requestArg.slice(1), 'utf8') : requestArg;
    request = toCheckRequest(JSON.parse(text));
  } catch (e) {
    err(`error: --request: ${(e as Error).message}`);
    return 2;
  }
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

async function main(argv: string[]): Promise<number> {
  const out: Out = (l) => process.stdout.write(`${l}\n`);
  const err: Out = (l) => process.stderr.write(`${l}\n`);
  const [command, ...rest] = argv;
  if (command === 'validate') return validateCommand(rest, out, err);
  if (command === 'check') {
    let values;
    try {
      ({ values } = parseArgs({ args: rest, options: { policies: { type: 'string', multiple: true }, request: { type: 'string' }, json: { type: 'boolean' } } }));
    } catch (e) {
      err(`error: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if (!values.policies || !values.request) {
      err(USAGE);
      return 2;
    }
    return checkCommand(values.policies, values.request, values.json ?? false, out, err);
  }
  err(USAGE);
  return command === undefined || command === '--help' ? 0 : 2;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
