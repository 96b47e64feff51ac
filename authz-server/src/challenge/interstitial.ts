/**
 * The HTML pages of the browser challenge: the interstitial that solves the puzzle in Web Workers and returns to
 * the page the visitor asked for, and the two short pages for a failed verification and for cookies turned off.
 * Everything is inline (no third-party or even first-party assets): the page must work when nothing but the
 * challenge itself can be fetched. A per-response CSP nonce lets only the page's own script and style run.
 */
import { randomBytes } from 'node:crypto';
import { powSolver } from '../../../clients/palisade-challenge.js';
import type { IssuedChallenge } from './tokens.ts';

/** The reserved path on every protected host that receives solutions from the interstitial. */
export const VERIFY_PATH = '/.palisade/challenge/verify';

/** Cookie set with the interstitial; its absence at verification means cookies are off. */
export const COOKIE_CHECK = 'palisade-cookie-check';

/** The pass cookie. */
export const PASS_COOKIE = 'palisade-pass';

/** An HTML page with the headers it needs. */
export interface Page {
  html: string;
  /** Content-Security-Policy for this page (carries the nonce). */
  csp: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function csp(nonce: string, workers: boolean): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    workers ? 'worker-src blob:' : null,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ]
    .filter(Boolean)
    .join('; ');
}

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; display: grid; place-items: center; min-height: 100vh; background: Canvas; color: CanvasText; }
main { max-width: 34rem; padding: 2rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
progress { width: 100%; height: 0.75rem; }
.note { font-size: 0.9rem; opacity: 0.85; }
.problem { border-left: 4px solid #b3261e; padding-left: 0.75rem; }
a { color: LinkText; }
`;

function shell(title: string, nonce: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${esc(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
${script}
</body>
</html>
`;
}

function lifetimeText(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

/**
 * The page script: checks that cookies work (a browser may block them while saying they are enabled), starts up
 * to four workers (each tries every n-th nonce), and on the
 * first solution goes to the verification path with the original URL, replacing the interstitial in the history.
 */
const PAGE_SCRIPT = `
(function () {
  var cfg = JSON.parse(document.getElementById('palisade-challenge').textContent);
  var status = document.getElementById('status');
  function show(id) { document.getElementById(id).hidden = false; document.getElementById('working').hidden = true; }
  function cookiesWork() {
    if (!navigator.cookieEnabled) return false;
    document.cookie = 'palisade-cookie-test=1; path=/; SameSite=Lax';
    var ok = document.cookie.indexOf('palisade-cookie-test=1') >= 0;
    document.cookie = 'palisade-cookie-test=; path=/; max-age=0; SameSite=Lax';
    return ok;
  }
  if (!cookiesWork()) { show('cookies-off'); return; }
  var started = performance.now();
  function done(nonce) {
    var ms = Math.round(performance.now() - started);
    status.textContent = 'Done, taking you to the page\u2026';
    location.replace(cfg.verify + '?' + new URLSearchParams({ t: cfg.token, n: nonce, ms: String(ms), to: cfg.to }).toString());
  }
  var source = 'var powSolver = ' + cfg.solver + ';\\n' +
    'onmessage = function (e) { var d = e.data, s = powSolver(), n = d.start;' +
    ' for (;;) { var r = s.solve(d.seed, d.difficulty, n, d.step, 25000);' +
    ' if (r.nonce !== null) { postMessage({ nonce: r.nonce }); return; }' +
    ' if (r.tried < 25000) { postMessage({ exhausted: true }); return; }' +
    ' n += d.step * 25000; } };';
  var workers = [];
  try {
    var url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    var count = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
    for (var i = 0; i < count; i++) {
      var w = new Worker(url);
      w.onmessage = function (e) {
        if (e.data.nonce) { workers.forEach(function (x) { x.terminate(); }); done(e.data.nonce); }
        else if (e.data.exhausted) { show('failed'); }
      };
      w.onerror = function () { show('failed'); };
      w.postMessage({ seed: cfg.seed, difficulty: cfg.difficulty, start: i, step: count });
      workers.push(w);
    }
  } catch (err) {
    show('failed');
  }
})();
`;

/** The interstitial for a challenged browser navigation. `returnTo` is the original path and query. */
export function interstitialPage(challenge: IssuedChallenge, returnTo: string, passLifetimeSec: number): Page {
  const nonce = randomBytes(16).toString('base64');
  const cfg = {
    token: challenge.token,
    seed: challenge.seed,
    difficulty: challenge.difficulty,
    verify: VERIFY_PATH,
    to: returnTo,
    solver: powSolver.toString(),
  };
  const body = `<h1>Checking that you are a visitor, not a program</h1>
<div id="working">
<p>This site limits automated traffic. Instead of blocking requests that look automated, it asks the browser to
solve a small puzzle first. Your browser is doing that now; it usually takes a moment, and then you are taken to the
page you asked for.</p>
<label for="progress" id="status" role="status" aria-live="polite">Working on it\u2026</label>
<progress id="progress" aria-describedby="status"></progress>
<p class="note">Nothing is installed and no information about you is collected for this. A cookie records that the
puzzle was solved, so you will not see this page again for ${esc(lifetimeText(passLifetimeSec))} from this network
and browser.</p>
</div>
<noscript><p class="problem">This check needs JavaScript, which is turned off. Please allow JavaScript for this site
and reload the page.</p></noscript>
<p id="cookies-off" class="problem" hidden>This check needs cookies, which are turned off for this site. Please allow
cookies for this site and reload the page.</p>
<p id="failed" class="problem" hidden>Your browser could not complete the check. <a href="${esc(returnTo)}">Try again</a>.</p>`;
  const script = `<script type="application/json" id="palisade-challenge">${scriptJson(cfg)}</script>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>`;
  return { html: shell('Checking your browser', nonce, body, script), csp: csp(nonce, true) };
}

/** The page for a verification that failed: says so plainly and links back to the original page. */
export function failedPage(returnTo: string, cookiesOff: boolean): Page {
  const nonce = randomBytes(16).toString('base64');
  const why = cookiesOff
    ? 'This check needs cookies, which are turned off for this site. Please allow cookies for this site and try again.'
    : 'The answer your browser sent could not be verified (it may have taken too long, or your network changed meanwhile).';
  const body = `<h1>The check did not succeed</h1>
<p class="problem">${esc(why)}</p>
<p><a href="${esc(returnTo)}">Try again</a></p>`;
  return { html: shell('Check failed', nonce, body), csp: csp(nonce, false) };
}

/**
 * A safe place to return to: a path on this host (starting with one "/", no scheme, no authority, no
 * backslash or control characters), else "/". Prevents the verification path from becoming an open redirect.
 */
export function safeReturnPath(to: string | null): string {
  if (!to || to.length > 4096 || !to.startsWith('/') || to.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(to)) return '/';
  return to;
}
