import { describe, expect, it } from 'vitest';
import { toRequestContext } from '../pipeline/request.ts';
import { ProbeMemory, probeOf, probeTarget } from './probes.ts';

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
    ] as const) expect([path, probeTarget(path)?.kind]).toEqual([path, kind]);
  });

  it('names the family the site would run a target with', () => {
    for (const [path, family] of [
      ['/.git/config', '.git'],
      ['/.env.production', '.env.production'],
      ['/.netlify/functions/send', '.netlify'],
      ['/db.sql', 'sql'],
      ['/etc/passwd', 'system'],
      ['/wp-login.php', 'wordpress'],
      ['/blog/wp-content/uploads/a.jpg', 'wordpress'],
      ['/xmlrpc.php', 'wordpress'],
      ['/phpmyadmin/index', 'phpmyadmin'],
      ['/debug/pprof/', 'debug/pprof'],
      ['/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', 'vendor/phpunit'],
      ['/item.php', 'php'],
      ['/Default.ASPX', 'aspx'],
    ] as const) expect([path, probeTarget(path)?.family]).toEqual([path, family]);
  });

  it("leaves a site's own routes, files and standard locations alone", () => {
    for (const path of ['/', '/login', '/admin', '/api/v2/reports/12', '/graphql', '/api/swagger.json', '/config.json', '/.well-known/security.txt', '/.well-known/openid-configuration', '/favicon.ico', '/robots.txt', '/sitemap.xml', '/site.webmanifest', '/_app/immutable/main.7c1e4f2a.css', '/media/a1b2.webp?w=1280', '/docs/php-guide', '/blog/wordpress-vs-ghost', '/downloads/report-2026.zip', '/v1.2/items', '/products/1?file=.env'])
      expect([path, probeTarget(path)]).toEqual([path, null]);
  });
});

describe('probeOf', () => {
  it('reads the path the upstream reads: escapes decoded, parameters stripped, empty segments merged', () => {
    expect(probeOf(req('/%2Eenv'))?.kind).toBe('hidden file');
    expect(probeOf(req('/.git;x=1/config'))?.kind).toBe('hidden file');
    expect(probeOf(req('//wp-login%2ephp'))?.kind).toBe('software');
  });

  it("is no probe when a page of the site links to it (its Referer), whatever another site's Referer says", () => {
    expect(probeOf(req('/old/report.php', { referer: 'https://shop.test/docs' }))).toBeNull();
    expect(probeOf(req('/old/report.php', { referer: 'https://elsewhere.example/' }))?.kind).toBe('script');
    expect(probeOf(req('/old/report.php', { referer: 'not a url' }))?.kind).toBe('script');
  });
});

describe('ProbeMemory', () => {
  const T = 1_000_000;
  const target = (path: string) => probeTarget(path)!;
  it('remembers a target answered as missing, forgets it once served, and counts only client errors', () => {
    const m = new ProbeMemory();
    expect(m.empty).toBe(true);
    expect(m.answered('p', 'h', '/.env', target('/.env'), 404, true, T)).toBe(true);
    expect(m.missing('p', 'h', '/.env', target('/.env'), T + 1)).toBe(true);
    expect(m.missing('p', 'other.host', '/.env', target('/.env'), T + 1)).toBe(false);
    expect(m.missing('p', 'h', '/.env', target('/.env'), T + 30 * 60_000)).toBe(false);
    // A refusal counts, but says nothing of whether the target exists.
    expect(m.answered('p', 'h', '/actuator/env', target('/actuator/env'), 403, true, T)).toBe(true);
    expect(m.missing('p', 'h', '/actuator/env', target('/actuator/env'), T + 1)).toBe(false);
    // A script by its extension is never remembered as missing.
    expect(m.answered('p', 'h', '/user.php', target('/user.php'), 404, true, T)).toBe(true);
    expect(m.missing('p', 'h', '/user.php', target('/user.php'), T + 1)).toBe(false);
  });

  it("takes a family the site served for the site's own: none of it is a probe for a day", () => {
    const m = new ProbeMemory();
    expect(m.answered('p', 'h', '/index.php', target('/index.php'), 200, false, T)).toBe(false);
    expect(m.answered('p', 'h', '/item.php', target('/item.php'), 404, true, T + 1)).toBe(false);
    expect(m.serves('p', 'h', target('/admin/list.php'), T + 2)).toBe(true);
    expect(m.serves('p', 'h', target('/login.aspx'), T + 2)).toBe(false);
    m.answered('p', 'h', '/wp-content/uploads/a.jpg', target('/wp-content/uploads/a.jpg'), 200, false, T);
    expect(m.answered('p', 'h', '/wp-content/uploads/gone.jpg', target('/wp-content/uploads/gone.jpg'), 404, true, T + 1)).toBe(false);
    expect(m.missing('p', 'h', '/wp-content/uploads/gone.jpg', target('/wp-content/uploads/gone.jpg'), T + 2)).toBe(false);
    expect(m.serves('p', 'h', target('/wp-login.php'), T + 24 * 3_600_000)).toBe(false);
  });
});
