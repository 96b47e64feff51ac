/**
 * Malicious-input inspection of path, query, headers and body, preceded by the request-size check: a request
 * over the header limits is refused before anything else reads it.
 */
import { inspectRequest } from '../../inspection/inspect.ts';
import { deny, pass, skip, type Stage } from '../stage.ts';

export const requestSizeStage: Stage = {
  name: 'inspection',
  run(ev) {
    if (ev.req.oversize) return deny({ reason: 'inspection', detail: `oversized request: ${ev.req.oversize}` });
    return pass('within size limits');
  },
};

export const inspectionStage: Stage = {
  name: 'inspection',
  run(ev) {
    const p = ev.policy;
    if (!p.anyInspection) return skip('off');
    if (ev.req.oversize) return skip('oversized request: not scanned');
    const finding = inspectRequest(
      {
        path: ev.req.rawPath,
        headers: ev.req.headers,
        ...(ev.req.body !== undefined ? { body: ev.req.body } : {}),
        ...(ev.req.headers.has('content-type') ? { contentType: ev.req.headers.get('content-type') as string } : {}),
      },
      p.inspection,
    );
    if (!finding) return pass('clean');
    return deny({ reason: 'inspection', detail: `${finding.kind} in ${finding.location} (${finding.rule})` });
  },
};
