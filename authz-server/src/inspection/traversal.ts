// Path traversal and local file inclusion on a decoded value: dot-dot segments (with '\\', '..;/', '....//' and
// NUL variants normalised), absolute paths into the operating system's directories (/etc, /proc, /sys, secrets,
// logs, Windows system folders), restricted files (hidden files and folders such as .env, .git or .ssh, backups,
// dumps and logs) and NUL bytes used to cut a file name short. In the request path a hidden segment or a backup
// file is enough; in a parameter the value must read as a file path.

import { firstRegexMatch, type DetectOptions, type Match } from './detector.ts';

// Linear: one bounded character run per alternative.
// '..2f' / '..5c': an encoded separator whose '%' a filter stripped (the application decodes it later).
const DOTDOT_RE = /(?:^|[/=:?&;,|`<>(])\.{2,}(?:;[^/]{0,64})?\/|[\s'"]\.{2,}\/\.{2,}\/|(?:^|[/=:?&;,|`<>(])\.{2,}(?:2f|5c)/;
const DOTDOT_END_RE = /(?:^|\/)\.\.(?:;[^/]{0,64})?$/;

// Files and folders that only an attacker asks a web API for, by name.
const OS_FILES =
  'etc/(?:passwd|shadow|master\\.passwd|gshadow|group|sudoers|hosts|hostname|issue|resolv\\.conf|crontab|fstab|subuid|subgid|security|ssh|ssl|mysql|apache2?|httpd|nginx|php\\d*|os-release|environment|profile|bashrc|motd|aliases|exports|inetd\\.conf|ld\\.so|pam\\.d|cron)|' +
  'proc/(?:self|\\d+|version|cpuinfo|meminfo|mounts|net|interrupts|sys|kcore|kmsg|partitions|config\\.gz|loadavg|modules|stat)|' +
  'sys/(?:class|kernel|devices|block|bus|firmware|fs|module|power)\\b|dev/(?:tcp|udp|shm|mem|kmem|fd)/|' +
  'var/(?:log|run/secrets|lib/(?:mysql|postgresql|docker|kubelet))|run/secrets|root/|usr/local/etc/|' +
  '(?:windows|winnt)/(?:win\\.ini|system\\.ini|system32|repair|debug|panther|php\\.ini|my\\.ini)|inetpub/|boot\\.ini\\b|autoexec\\.bat\\b';
const OS_FILE_IN_PATH_RE = new RegExp(`(?:^|/)(?:${OS_FILES})`);
// Server directories an API parameter has no reason to name: logs, spools, server and package configuration.
const SERVER_DIRS =
  'var/[\\w.-]|usr/(?:local/(?!bin(?:/|$))[\\w.-]|lib/|spool/|etc/|apache2?/|pkgsrc/|ports/|sbin/)|private/etc/|volumes/[\\w.-]+/(?:opt|usr|private|etc)/|' +
  '(?:program files|appserv|xampp|lampp)\\b|(?:windows|winnt)/system32|system32/|opt/[\\w.-]+/(?:[\\w.-]+/)*(?:conf|logs?|etc)/';
// The end of an absolute path to a configuration, log, credential or run-time file.
// Segments without spaces: a segment class that excluded only '/' would let a long value backtrack quadratically.
const SERVER_FILE_END =
  '(?:[\\w.-]+/)+[\\w.-]*(?:\\.(?:conf|cnf|ini|cfg|log|pid|pdb|htaccess|htpasswd|passwd)|[_.](?:access|error)?_?log|(?:access|error)_?log)$|[\\w.-]*\\.(?:htaccess|htpasswd|passwd)$';
// In a parameter: an absolute path (after a separator, never inside a URL) into a system or server directory, or
// to a server's configuration or log file; a relative etc/passwd; a Windows drive's system folder; a file URL or
// a stream wrapper; a home directory's hidden file.
const OS_FILE_IN_VALUE_RE = new RegExp(
  `(?:^|[\\s=:'"(;|&\`,<>])(?:/?[a-z]:)?/(?:${OS_FILES}|(?:etc|proc|sys)/[\\w.-]+|${SERVER_DIRS}|${SERVER_FILE_END})|^(?:etc|proc)/(?:passwd|shadow|group|hosts|self/\\w+|version)$|\\b[a-z]:(?:windows|winnt)\\b|%(?:systemroot|windir|systemdrive)%|\\bfile:/{2,3}(?:[a-z]:)?/?[\\w.~%-]|\\b(?:php|phar|zip|expect|glob|compress\\.zlib|compress\\.bzip2|zlib|rar|ogg|ssh2\\.\\w+)://\\S|(?:^|[\\s=:'"(;|&\`,])~(?:root)?/\\.`,
);
const SECRET_DIRS =
  '(?:env|git|pass|passwd|bashrc|bash_profile|bash_logout|profile|cshrc|tcshrc|kshrc|zshrc|rhosts|shosts|forward|logout|xauthority|ksh_history|svn|hg|bzr|cvs|htaccess|htpasswd|htdigest|ssh|aws|azure|gcloud|docker|kube|npmrc|yarnrc|pypirc|netrc|pgpass|my\\.cnf|boto|s3cfg|bash_history|zsh_history|sh_history|mysql_history|psql_history|python_history|viminfo|ds_store|git-credentials|gitconfig|vault-token|terraform|terraformrc|dockercfg|composer|config|idea|vscode)';
// A hidden segment in the request path (.well-known is the one standard exception), or a backup/dump/log file.
const HIDDEN_SEGMENT_RE = /(?:^|\/)\.(?!well-known(?:\/|$))[a-z0-9_][\w.-]*(?:\/|$)/;
const BACKUP_FILE_RE = /[^/]\.(?:bak|backup|old|orig|save|swp|swo|tmp|sql|dump|log|ini|inc|cnf|conf|passwd|sqlite3?|mdb|db)(?:\.(?:gz|zip|bz2|xz|7z|tar|tgz))?(?:\/|$)|[^/~]~(?:\/|$)/;
// In a parameter: a restricted file name at the start of the value or of a path segment.
const RESTRICTED_IN_VALUE_RE = new RegExp(
  `(?:^|[/\\s=:'"])\\.${SECRET_DIRS}(?:$|[/.~_-])|(?:^|/)[\\w.-]{1,64}\\.(?:sql|bak|old|orig|swp|sqlite3?|mdb|dump)(?:\\.(?:gz|zip|bz2|xz|7z|tar))?$|(?:^|/)(?:wp-config|web\\.config|config\\.inc|localsettings|settings\\.local)(?:\\.php)?(?:$|[.~_\\s])`,
);
const QUICK_RE = /[./\\\u0000%~]/;
const DOT_SEGMENTS_RE = /(?<!:)\/(?:\.?\/)+/g;
const LEADING_DOT_RE = /^(?:\.\/)+/;
// A value that is nothing but base64 (at least 12 characters): some applications decode a file name from it.
const BASE64_RE = /^[a-z0-9+/]{12,}={0,2}$/i;
const BASE64_PATH_RE = /(?:^|\/)\.\.\/|^\/?(?:etc|proc)\/./;
// Printable text only: a random token's bytes never are.
const PRINTABLE_RE = /^[\x20-\x7e]+$/;

/** The text a base64 value decodes to when it spells a traversal or a system path, else null. */
function base64Path(value: string): string | null {
  if (value.length % 4 !== 0 || !BASE64_RE.test(value)) return null;
  const text = Buffer.from(value, 'base64').toString('latin1');
  return PRINTABLE_RE.test(text) && BASE64_PATH_RE.test(text) ? text : null;
}

/** What RESTRICTED_IN_VALUE_RE needs: a dot, or one of its dotless names. */
function mayNameRestrictedFile(t: string): boolean {
  return t.indexOf('.') !== -1 || t.indexOf('config') !== -1 || t.indexOf('settings') !== -1;
}

/** Detects path traversal and local file access in one decoded value; `inPath` for the request path itself. */
export function detectTraversal(value: string, opts: DetectOptions, inPath = false): Match | null {
  if (!inPath && value.length >= 12 && value.length <= 4096 && (opts.skip === null || !opts.skip('traversal.encoded-path'))) {
    const decoded = base64Path(value);
    if (decoded !== null) return { rule: 'traversal.encoded-path', fragment: decoded };
  }
  if (!QUICK_RE.test(value)) return null;
  const nul = value.indexOf('\u0000');
  let t = nul === -1 ? value : value.replaceAll('\u0000', '');
  if (t.indexOf('\\') !== -1) t = t.replaceAll('\\', '/');
  t = t.toLowerCase();
  // '/./', '//' and a leading './' change nothing on a file system: /./././etc/passwd, .//.//etc/passwd
  if (t.indexOf('./') !== -1 || t.indexOf('//') !== -1) t = t.replace(DOT_SEGMENTS_RE, '/').replace(LEADING_DOT_RE, '');
  const skip = opts.skip;
  if (skip === null || !skip('traversal.dotdot')) {
    const d = DOTDOT_RE.exec(t) ?? DOTDOT_END_RE.exec(t);
    if (d !== null) return { rule: 'traversal.dotdot', fragment: t.slice(d.index) };
  }
  if (inPath) {
    const q = t.indexOf('?');
    const p = q === -1 ? t : t.slice(0, q);
    const m = firstRegexMatch(
      p,
      [
        { rule: 'traversal.sensitive-file', re: OS_FILE_IN_PATH_RE },
        { rule: 'traversal.restricted-file', re: HIDDEN_SEGMENT_RE },
        { rule: 'traversal.restricted-file', re: BACKUP_FILE_RE },
      ],
      opts,
    );
    if (m !== null) return m;
  } else {
    const m = firstRegexMatch(
      t,
      [
        { rule: 'traversal.sensitive-file', re: OS_FILE_IN_VALUE_RE },
        { rule: 'traversal.restricted-file', re: RESTRICTED_IN_VALUE_RE, gate: mayNameRestrictedFile },
      ],
      opts,
    );
    if (m !== null) return m;
  }
  if (nul !== -1 && /[/.]/.test(t) && (skip === null || !skip('traversal.null-byte'))) {
    return { rule: 'traversal.null-byte', fragment: value.slice(Math.max(0, nul - 40)) };
  }
  return null;
}
