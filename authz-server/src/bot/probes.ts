/**
 * Scanners' targets: the paths a vulnerability scanner asks every site for, whatever the site runs. A person never
 * types `/.git/config` or `/wp-login.php` into a site that is no WordPress; a scanner walks a list of them, slowly
 * enough that no volume shows. What the site answers decides: a target the upstream served (a WordPress site's own
 * login, a Netlify site's `/.netlify/` functions) is the site's route, and only one answered with a client error (the
 * site has no such thing, or refused it) counts as a probe (feed.ts, behaviour.ts `probes`).
 *
 * A target belongs to a family (the software it is part of, a script's extension, a hidden folder): once the upstream
 * served anything of a family (2xx, 3xx), the site runs it, and none of it counts (a PHP site's 404 for a page it has
 * not got, a WordPress site's broken image under `/wp-content/`).
 *
 * The path is the one the policy matches (request.ts: escapes decoded, `;` parameters stripped, empty segments
 * merged, dot segments refused), so `/%2Eenv` and `/.git;x/config` read as the files they reach.
 */
import type { DetectOptions } from '../inspection/detector.ts';
import { detectTraversal } from '../inspection/traversal.ts';
import type { RequestContext } from '../pipeline/request.ts';
import { RecentKeys } from './recent-keys.ts';
import { sameSiteRefererPath } from './windows.ts';

const ALL_RULES: DetectOptions = { strict: false, skip: null };

/**
 * Software a scanner probes for by its well-known paths, as path segments: CMSs' and admin tools' entry points, servers'
 * status pages, frameworks' debug and management endpoints, and backup archives by their usual names.
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
/**
 * A server-side script by its extension (`.php`, `.asp(x)`, `.jsp`, `.cgi`, `.cfm`...): what a PHP site serves, and what
 * scanners ask every other site for by the hundred.
 */
const SCRIPT_RE = /[^/]\.(php\d?|phtml|asp|aspx|ashx|asmx|jsp|jspx|cgi|pl|cfm|action)(?:\/|$)/i;

/** What a path can be a probe for only if it has one of these: a dot, a system directory or a name from SOFTWARE_RE's list. */
const QUICK_RE = /[.]|\/(?:etc|proc|sys|dev|var|run|root|usr|windows|winnt|inetpub)\/|wp-|admin|cgi-bin|server-|actuator|jolokia|pprof|_profiler|telescope|_ignition|phpunit|manager|console|invoker|axis2|solr|hnap1|boaform|owa|ecp|remote|dana-na|protect|vpn/i;

/** A scanner's target: what kind of thing it is, and the family the site runs it with when it serves it. */
export interface ProbeTarget {
  kind: 'hidden file' | 'system file' | 'backup file' | 'software' | 'script';
  /** The software (`wordpress`, `phpmyadmin`, `actuator`...), the script's or backup's extension, the hidden segment. */
  family: string;
}

const WORDPRESS_RE = /^(?:wp-|xmlrpc\.php$|wlwmanifest\.xml$)/;

/**
 * What a request path asks for when it is a scanner's target, else null. A hidden segment is any but `.well-known`; see
 * traversal.ts for the files, SOFTWARE_RE for the software and SCRIPT_RE for the scripts.
 */
export function probeTarget(path: string): ProbeTarget | null {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  if (!QUICK_RE.test(p)) return null;
  const m = detectTraversal(p, ALL_RULES, true);
  if (m !== null) {
    if (m.rule === 'traversal.sensitive-file' || m.rule === 'traversal.dotdot') return { kind: 'system file', family: 'system' };
    // A hidden segment's match begins with it; a backup file's with the character before its extension.
    const hidden = /^\/?(\.[^/]+)/.exec(m.fragment);
    if (hidden !== null) return { kind: 'hidden file', family: hidden[1]!.toLowerCase() };
    return { kind: 'backup file', family: extension(p) };
  }
  const sw = SOFTWARE_RE.exec(p);
  if (sw !== null) {
    const name = sw[0].replace(/^\//, '').toLowerCase();
    return { kind: 'software', family: WORDPRESS_RE.test(name) ? 'wordpress' : name.replace(/\/$/, '') };
  }
  const sc = SCRIPT_RE.exec(p);
  return sc === null ? null : { kind: 'script', family: sc[1]!.toLowerCase() };
}

/** The last extension of a path's last segment ('' without one). */
function extension(p: string): string {
  const end = p.endsWith('/') ? p.length - 1 : p.length;
  const seg = p.slice(p.lastIndexOf('/', end - 1) + 1, end);
  const dot = seg.lastIndexOf('.');
  return dot < 0 ? '' : seg.slice(dot + 1).toLowerCase();
}

/**
 * The scanner's target the request asks for, not by a link of the site's own: a page that links to a file the upstream
 * no longer has (a same-site Referer) makes its visitors no scanners. Null otherwise.
 */
export function probeOf(req: Pick<RequestContext, 'path' | 'host' | 'headers'>): ProbeTarget | null {
  const target = probeTarget(req.path);
  if (target === null) return null;
  return sameSiteRefererPath(req.host, req.headers.get('referer')) === null ? target : null;
}

/** The answers that say a target does not exist (an answer that refuses it, 401 or 403, says it may). */
const MISSING_CODES: ReadonlySet<number> = new Set([404, 410]);

/**
 * What this replica learned from the upstream's answers to scanners' targets, per policy and host: the families the
 * site serves (for a day: a 2xx or 3xx under one), and the targets it answered as missing (404, 410; for half an hour,
 * until one is served): a later request for one is a probe before its answer. Not a script by its extension alone: a
 * site that runs them answers 404 for a record it has not got (`/user.php?id=9`), and its first such answer may come
 * before any it served, so that anyone could make its people's calls probes.
 */
export class ProbeMemory {
  readonly #missing = new RecentKeys({ ttlMs: 30 * 60_000, maxEntries: 10_000 });
  readonly #served = new RecentKeys({ ttlMs: 24 * 3_600_000, maxEntries: 10_000 });
  static #targetKey = (policyId: string, host: string, path: string) => `${policyId}\u0000${host}${path}`;
  static #familyKey = (policyId: string, host: string, t: ProbeTarget) => `${policyId}\u0000${host}\u0000${t.family}`;

  /** Whether a target is remembered as missing (none is: skip looking the request's target up). */
  get empty(): boolean {
    return this.#missing.size === 0;
  }

  /** The site served something of the target's family lately: none of it is a probe. */
  serves(policyId: string, host: string, t: ProbeTarget, nowMs: number): boolean {
    return this.#served.size > 0 && this.#served.has(ProbeMemory.#familyKey(policyId, host, t), nowMs);
  }

  /** The target was answered as missing lately, and its family is not served: a request for it is a probe before its answer. */
  missing(policyId: string, host: string, path: string, t: ProbeTarget, nowMs: number): boolean {
    return this.#missing.has(ProbeMemory.#targetKey(policyId, host, path), nowMs) && !this.serves(policyId, host, t, nowMs);
  }

  /**
   * Learns the upstream's answer `code` to a request for the target; true when it is a probe answered (a client error,
   * `failed`, of a family the site does not serve).
   */
  answered(policyId: string, host: string, path: string, t: ProbeTarget, code: number, failed: boolean, nowMs: number): boolean {
    const target = ProbeMemory.#targetKey(policyId, host, path);
    if (code >= 200 && code < 400) {
      this.#served.remember(ProbeMemory.#familyKey(policyId, host, t), nowMs);
      this.#missing.take(target, nowMs);
      return false;
    }
    if (this.serves(policyId, host, t, nowMs)) return false;
    if (MISSING_CODES.has(code) && t.kind !== 'script') this.#missing.remember(target, nowMs);
    return failed;
  }
}
