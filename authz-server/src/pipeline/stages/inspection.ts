/**
 * Malicious-input inspection of path, query, headers and body, preceded by the request-size check: a request
 * over the header limits is refused before anything else reads it.
 */
import { inspectRequest } from '../../inspection/inspect.ts';
import { planBody } from '../body.ts';
import { deny, pass, skip, type Stage } from '../stage.ts';

export const requestSizeStage: Stage = {
  name: 'inspection',
  run(ev) {
    if (ev.req.oversize) return deny({ reason: 'inspection', detail: `oversized request: ${ev.req.oversize}` });
    return pass('within size limits');
  },
};

const NO_HEADERS: ReadonlyMap<string, string> = new Map();

/**
 * Path, query, headers and the body as its content says it is (body.ts). A body not inspected whole is denied
 * or, with oversizedBody: Flag, let through flagged upstream.
 */
export const inspectionStage: Stage = {
  name: 'inspection',
  run(ev) {
    const p = ev.policy;
    if (!p.anyInspection) return skip('off');
    if (ev.req.oversize) return skip('oversized request: not scanned');
    const body = planBody(ev.req.body, ev.req.headers, p.inspection.maxBodyBytes);
    const [first, ...others] = body.views;
    let finding = inspectRequest(
      { path: ev.req.rawPath, normalizedPath: ev.req.path, headers: ev.req.headers, ...(first ? { body: first.body, contentType: first.contentType } : {}) },
      p.inspection,
    );
    for (const view of others) finding ??= inspectRequest({ path: '', headers: NO_HEADERS, body: view.body, contentType: view.contentType }, p.inspection);
    if (finding) {
      return deny({
        reason: 'inspection',
        detail: `${finding.kind} in ${finding.location} (${finding.rule}): ${finding.sample}`,
        inspection: { kind: finding.kind, rule: finding.rule, location: finding.location, sample: finding.sample },
      });
    }
    const notes = [body.skipped ? `body not scanned: ${body.skipped}` : null, body.notSent].filter((n) => n !== null);
    if (body.uninspected) {
      if (p.inspection.oversizedBody === 'Deny') return deny({ reason: 'inspection', detail: `body not inspected whole: ${body.uninspected}`, uninspectedBody: body.uninspected });
      ev.bodyUninspected = body.uninspected;
      notes.push(`body flagged: ${body.uninspected}`);
    }
    return pass(notes.length > 0 ? `clean; ${notes.join('; ')}` : 'clean');
  },
};
