import { describe, expect, it } from 'vitest';
import { toRequestContext } from '../pipeline/request.ts';
import { probeOf, probeTarget } from './probes.ts';

const req = (path: string, headers: Record<string, string> = {}) =>
  toRequestContext({ attributes: { source: { address: { socket_address: { address: '198.51.100.1', port_value: 1 } } }, request: { http: { headers: { ':authority': 'shop.test', ':method': 'GET', ':path': path, ...headers } } } } });

describe('probeTarget', () => {
  it('names what scanners ask every site for', () => {
    for (const [path, kind] of [
      ['/.env', 'hidden file'],
      ['/.env.production', 'hidden file'],
      ['/.git/config', 'hidden file'],
      ['/.aws/credentials', 'hidden file'],
      ['/static/.DS_Store', 'hidden file'],
      ['/db.sql', 'backup file'],
      ['/config.php.bak', 'backup file'],
      ['/etc/passwd', 'system file'],
      ['/wp-login.php', 'software'],
      ['/wp-admin/', 'software'],
      ['/blog/xmlrpc.php', 'software'],
      ['/phpmyadmin/index', 'software'],
      ['/cgi-bin/luci', 'software'],
      ['/actuator/env', 'software'],
      ['/debug/pprof/', 'software'],
      ['/backup.zip', 'software'],
      ['/www.tar.gz', 'software'],
      ['/server-status', 'software'],
      ['/index.php', 'script'],
      ['/login.aspx', 'script'],
      ['/manager/html', 'software'],
      ['/WP-LOGIN.PHP', 'software'],
      ['/.ENV', 'hidden file'],
    ] as const) expect([path, probeTarget(path)]).toEqual([path, kind]);
  });

  it("leaves a site's own routes, files and standard locations alone", () => {
    for (const path of ['/', '/login', '/admin', '/api/v2/reports/12', '/graphql', '/api/swagger.json', '/config.json', '/.well-known/security.txt', '/.well-known/openid-configuration', '/favicon.ico', '/robots.txt', '/sitemap.xml', '/site.webmanifest', '/_app/immutable/main.7c1e4f2a.css', '/media/a1b2.webp?w=1280', '/docs/php-guide', '/blog/wordpress-vs-ghost', '/downloads/report-2026.zip', '/v1.2/items', '/products/1?file=.env'])
      expect([path, probeTarget(path)]).toEqual([path, null]);
  });
});

describe('probeOf', () => {
  it('reads the path the upstream reads: escapes decoded, parameters stripped, empty segments merged', () => {
    expect(probeOf(req('/%2Eenv'))).toBe('hidden file');
    expect(probeOf(req('/.git;x=1/config'))).toBe('hidden file');
    expect(probeOf(req('//wp-login%2ephp'))).toBe('software');
  });

  it("is no probe when a page of the site links to it (its Referer), whatever another site's Referer says", () => {
    expect(probeOf(req('/old/report.php', { referer: 'https://shop.test/docs' }))).toBeNull();
    expect(probeOf(req('/old/report.php', { referer: 'https://elsewhere.example/' }))).toBe('script');
    expect(probeOf(req('/old/report.php', { referer: 'not a url' }))).toBe('script');
  });
});
