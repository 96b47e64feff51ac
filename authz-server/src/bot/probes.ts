/**
 * Scanners' targets: the paths a vulnerability scanner asks every site for, whatever the site runs. A person never
 * types `/.git/config` or `/wp-login.php` into a site that is no WordPress; a scanner walks a list of them, slowly
 * enough that no volume shows. What the site answers decides: a target the upstream served (a WordPress site's own
 * login, a Netlify site's `/.netlify/` functions) is the site's route, and only one answered with a client error (the
 * site has no such thing, or refused it) counts as a probe (feed.ts, behaviour.ts `probes`).
 *
 * Pure; the path is the one the policy matches (request.ts: escapes decoded, `;` parameters stripped, empty segments
 * merged, dot segments refused), so `/%2Eenv` and `/.git;x/config` read as the files they reach.
 */
import type { DetectOptions } from '../inspection/detector.ts';
import { detectTraversal } from '../inspection/traversal.ts';
import type { RequestContext } from '../pipeline/request.ts';

const ALL_RULES: DetectOptions = { strict: false, skip: null };

/**
 * Software a scanner probes for by its well-known paths, as path segments: CMSs' and admin tools' entry points, servers'
 * status pages, frameworks' debug and management endpoints, and backup archives by their usual names.
 * Server-side scripts (`.php`, `.asp(x)`, `.jsp`, `.cgi`, `.cfm`) are probed by the hundred on sites that run none.
 */
const SOFTWARE_RE = new RegExp(
  '(?:^|/)(?:' +
    [
      'wp-(?:login|signup|cron|trackback|links-opml|config)(?:\\.php)?', 'wp-(?:admin|content|includes|json)', 'xmlrpc\\.php', 'wlwmanifest\\.xml',
      'phpmyadmin[\\w.-]*', 'pma', 'myadmin', 'mysqladmin', 'sqladmin', 'dbadmin', 'adminer(?:[\\w.-]*\\.php)?', 'phpinfo(?:\\.php)?',
      'cgi-bin', 'server-status', 'server-info', 'fckeditor', 'ckfinder', 'elfinder', 'kcfinder',
      'actuator', 'jolokia', 'debug/pprof', '_profiler', 'telescope', '_ignition', 'vendor/phpunit',
      'manager/html', 'host-manager', 'jmx-console', 'web-console', 'invoker/\\w+', 'axis2', 'solr/admin', 'hnap1', 'boaform',
      'owa/auth', 'autodiscover/autodiscover\\.xml', 'ecp', 'remote/login', 'dana-na', 'global-protect', 'vpn/\\w+\\.html',
      '(?:backup|backups|site|www|web|wwwroot|htdocs|public_html|html|db|database|dump|data|sql|old|archive)\\.(?:zip|rar|7z|tar|tgz|tar\\.gz|tar\\.bz2|gz|sql(?:\\.gz)?|bak)',
    ].join('|') +
    ')(?:/|$)',
  'i',
);
/** A server-side script by its extension: what a PHP site serves, and what scanners ask every other site for. */
const SCRIPT_RE = /[^/]\.(?:php\d?|phtml|asp|aspx|ashx|asmx|jsp|jspx|cgi|pl|cfm|action)(?:\/|$)/i;

/** What a path can be a probe for only if it has one of these: a dot, a system directory or a name from SOFTWARE_RE's list. */
const QUICK_RE = /[.]|\/(?:etc|proc|sys|dev|var|run|root|usr|windows|winnt|inetpub)\/|wp-|admin|cgi-bin|server-|actuator|jolokia|pprof|_profiler|telescope|_ignition|phpunit|manager|console|invoker|axis2|solr|hnap1|boaform|owa|ecp|remote|dana-na|protect|vpn/i;

/**
 * What a request path asks for when it is a scanner's target (`hidden file`, `system file`, `backup file`, `software`,
 * `script`), else null. A hidden segment is any but `.well-known`; see traversal.ts for the files, SOFTWARE_RE for the
 * software and SCRIPT_RE for the scripts.
 */
export function probeTarget(path: string): string | null {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  if (!QUICK_RE.test(p)) return null;
  const m = detectTraversal(p, ALL_RULES, true);
  if (m !== null) return m.rule === 'traversal.sensitive-file' || m.rule === 'traversal.dotdot' ? 'system file' : m.fragment.includes('/.') || m.fragment.startsWith('.') ? 'hidden file' : 'backup file';
  return SOFTWARE_RE.test(p) ? 'software' : SCRIPT_RE.test(p) ? 'script' : null;
}

/**
 * The scanner's target the request asks for (probeTarget's kind), not by a link of the site's own: a page that links to
 * a file the upstream no longer has (a same-site Referer) makes its visitors no scanners. Null otherwise.
 */
export function probeOf(req: Pick<RequestContext, 'path' | 'host' | 'headers'>): string | null {
  const kind = probeTarget(req.path);
  if (kind === null) return null;
  const referer = req.headers.get('referer');
  return referer === undefined || URL.parse(referer)?.hostname.toLowerCase() !== req.host ? kind : null;
}

/**
 * Whether a target answered as missing is remembered as such (BaselineBook.missingTargets): not a script by its extension
 * alone, which a site that runs them may answer with a 404 for a record it has not got (`/user.php?id=9`): anyone
 * could then make its people's requests probes.
 */
export function rememberedMissing(kind: string): boolean {
  return kind !== 'script';
}

/**
 * The key of a scanner's target the upstream answered as missing (404, 410) in BaselineBook.missingTargets: a later
 * request for it is a probe before its answer.
 */
export function missingTargetKey(policyId: string, host: string, path: string): string {
  return `${policyId}\u0000${host}${path}`;
}

/** The answers that say a target does not exist (an answer that refuses it, 401 or 403, says it may). */
export const MISSING_CODES: ReadonlySet<number> = new Set([404, 410]);
