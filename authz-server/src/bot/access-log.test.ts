import { describe, expect, it } from 'vitest';
import { accessLogEntry } from '../../../test/support/access-log.ts';
import { envoyServices } from '../envoy/protos.ts';
import { accessLogEvent, accessLogEvents, servedKind, type StreamAccessLogsMessage } from './access-log.ts';

describe('what a response served, by its content type', () => {
  it('is data for what APIs answer with, parameters and case aside', () => {
    for (const t of ['application/json', 'Application/JSON; charset=utf-8', 'application/problem+json', 'application/vnd.api+json', 'application/x-ndjson', 'application/grpc', 'application/grpc+proto', 'application/grpc-web+proto', 'application/x-protobuf', 'text/event-stream']) {
      expect(servedKind(t), t).toBe('data');
    }
  });

  it("is a page for HTML, a file for a page's files, other for what a link may open or an API may answer alike", () => {
    for (const t of ['text/html; charset=utf-8', 'TEXT/HTML', 'application/xhtml+xml']) expect(servedKind(t), t).toBe('page');
    for (const t of ['image/png', 'image/svg+xml', 'text/javascript; charset=utf-8', 'application/javascript', 'text/css', 'font/woff2', 'video/mp4', 'text/vtt']) {
      expect(servedKind(t), t).toBe('file');
    }
    for (const t of ['application/pdf', 'text/csv', 'application/xml', 'text/plain', 'application/octet-stream', 'application/jsonp', 'x/unknown']) {
      expect(servedKind(t), t).toBe('other');
    }
  });

  it('is unknown without a content type', () => {
    expect(servedKind('')).toBeNull();
    expect(servedKind(' ; charset=utf-8')).toBeNull();
  });

  it("is read from the entry's logged response headers, whatever case the proxy kept", () => {
    const entry = (headers?: Record<string, string>) => accessLogEntry({ host: 'shop.test', path: '/api/x', code: 200, requestId: 'r1', sourceIp: '192.0.2.1', ...(headers ? { responseHeaders: headers } : {}) });
    expect(accessLogEvent(entry({ 'content-type': 'application/json' }))).toMatchObject({ code: 200, requestId: 'r1', ownDenial: false, served: 'data' });
    expect(accessLogEvent(entry({ 'Content-Type': 'text/html' })).served).toBe('page');
    expect(accessLogEvent(entry({ 'x-other': 'a' })).served).toBeNull();
    expect(accessLogEvent(entry()).served).toBeNull();
  });

  it("survives Envoy's wire format: the logged response headers map, as the access log service decodes it", () => {
    const method = envoyServices().accessLog.service['StreamAccessLogs']!;
    const wire = method.requestSerialize({ http_logs: { log_entry: [accessLogEntry({ host: 'shop.test', path: '/api/x', code: 200, requestId: 'r2', sourceIp: '192.0.2.1', responseHeaders: { 'content-type': 'application/json' } })] } });
    const [event] = accessLogEvents(method.requestDeserialize(wire) as StreamAccessLogsMessage);
    expect(event).toMatchObject({ code: 200, requestId: 'r2', served: 'data' });
  });
});
