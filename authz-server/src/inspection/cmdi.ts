// Shell command injection (Unix and Windows) on a decoded value. A command only counts after something that ends
// the previous command (; | || & && newline, backticks, $( ), or inside a shell construct ($IFS, /dev/tcp,
// brace expansion, wildcard paths, Windows FOR/IF, PowerShell cradles), so search text such as "cat food" or
// "ping pong table" and code snippets such as "ls -la /home/user" pass in the API-tolerant level. Quotes, backslashes
// and empty expansions that shells drop inside words (c'a't, c\at, c$@at) are removed before matching.

import { firstRegexMatch, type DetectOptions, type Match, type RegexRule } from './detector.ts';

// Commands that are not English words: any use after a separator counts.
const STRONG = [
  'whoami', 'uname', 'ifconfig', 'ipconfig', 'netstat', 'nslookup', 'wget', 'ncat', 'netcat', 'socat', 'bash', 'zsh',
  'ksh', 'csh', 'tcsh', 'dash', 'powershell', 'pwsh', 'certutil', 'bitsadmin', 'systeminfo', 'tasklist', 'taskkill',
  'wmic', 'mshta', 'rundll32', 'regsvr32', 'cscript', 'wscript', 'bcdedit', 'bcdboot', 'vssadmin', 'useradd',
  'usermod', 'chmod', 'chown', 'chattr', 'crontab', 'mkfifo', 'mknod', 'nohup', 'base64', 'xxd', 'busybox', 'perl',
  'python', 'python2', 'python3', 'ruby', 'php', 'lua', 'nmap', 'tftp', 'telnet', 'gunzip', 'zcat', 'bzcat', 'lsof',
  'pkill', 'killall', 'sudo', 'getent', 'hostname', 'ifup', 'iptables', 'strace', 'ltrace', 'gdb', 'objdump',
  'readelf', 'gawk', 'openssl', 'rsync', 'scp', 'sftp', 'printenv', 'visudo', 'flock', 'knife', 'rmt', 'ansible',
  'ansible-playbook', 'ansible-vault', 'ansible-console', 'ansible-config', 'ansible-inventory', 'ansible-galaxy',
  'ansible-pull', 'chef-client', 'chef-vault', 'chef-run', 'chef-shell', 'passwd',
  'shutdown', 'reboot', 'systemctl', 'journalctl', 'dmesg', 'lsb_release', 'iex', 'iwr', 'irm', 
  'cmd', 'cmd.exe', 'net.exe', 'reg.exe', 'findstr', 'schtasks', 'msiexec', 'wevtutil', 'icacls', 'cacls', 'whoami.exe',
  'hexdump', 'cpulimit',
];
// Commands that are also words: they count after a separator when an argument follows that only a shell reads
// (an option, a path, a variable, a redirection, an address) or when nothing follows.
const WEAK = [
  'cat', 'ls', 'id', 'ps', 'pwd', 'echo', 'env', 'set', 'type', 'dir', 'more', 'less', 'head', 'tail', 'find', 'grep',
  'sort', 'cut', 'kill', 'time', 'who', 'w', 'last', 'sleep', 'touch', 'which', 'host', 'rm', 'mv', 'cp', 'dd', 'tr',
  'tee', 'tar', 'zip', 'unzip', 'git', 'ftp', 'net', 'reg', 'del', 'copy', 'move', 'node', 'ip', 'df', 'du', 'file',
  'date', 'export', 'eval', 'exec', 'source', 'alias', 'unset', 'start', 'call', 'ver', 'vol', 'wc', 'uniq', 'diff',
  'mkdir', 'rmdir', 'ln', 'chgrp', 'su', 'top', 'free', 'mount', 'vi', 'vim', 'nano', 'make', 'gcc', 'cc',
  'c89', 'c99', 'java', 'docker', 'kubectl', 'curl', 'nc', 'sh', 'ping', 'dig', 'timeout', 'perf', 'fold', 'rev', 'od',
  'nl', 'strings', 'uptime', 'ssh', 'xargs', 'awk', 'sed', 'tac',
];

const PREFIX = '(?:(?:sudo|time|nohup|strace|env|command|builtin|exec)\\s+)?';
const SEP = `(?:[;|&\\n\\r\`]|\\$\\()\\s*${PREFIX}`;
// Lines of text start with words: after a line break only an unmistakable command counts.
const WEAK_SEP = `(?:[;|&\`]|\\$\\()[^\\S\\n\\r]*${PREFIX}`;
const ARG = "(?=\\s*(?:$|[-/~$`'\"<>|;&(]|\\.{1,2}/|\\d{1,3}(?:\\.\\d{1,3}){1,3}\\b|\\w+=))";
const STRONG_RE = new RegExp(`${SEP}(?:[\\w./]*/)?(?:${STRONG.map(esc).join('|')})(?![\\w.-])`);
const WEAK_RE = new RegExp(`${WEAK_SEP}(?:/(?:usr/)?s?bin/)?(?:${WEAK.map(esc).join('|')})(?![\\w.-])${ARG}`);
const WRAPPED_RE = new RegExp(
  `(?:^|[;|&\\n\`]|\\$\\()\\s*(?:sudo|time|nohup|strace|nice|timeout\\s+\\d+[smh]?|flock\\s+(?:-\\w+\\s+)*\\S+|cpulimit\\s+(?:-\\w+\\s+\\S+\\s+)*)\\s+(?:[\\w./]*/)?(?:${STRONG.map(esc).join('|')})(?![\\w.-])`,
);
const BIN_PATH_RE = /(?:^|[\s;|&`(=])\/(?:usr\/)?(?:local\/)?s?bin\/[a-z][\w.-]*(?=\s|$|[;|&`)])/;

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const PREFIX_WORDS = new Set(['sudo', 'time', 'nohup', 'strace', 'env', 'command', 'builtin', 'exec']);
const WRAPPERS = new Set(['sudo', 'time', 'nohup', 'strace', 'nice', 'timeout', 'flock', 'cpulimit']);
// The word after each separator (and after a prefix such as sudo), with any path: what STRONG_RE, WEAK_RE and
// WRAPPED_RE can match a command in. Testing these words against sets is much cheaper than the alternations.
const SEP_WORDS_RE = /(?:[;|&\n\r`]|\$\(|^)\s*([\w./-]*)(?:\s+([\w./-]*))?/g;

let wordsText: string | null = null;
let wordsCommand = false;
let wordsWrapper = false;

/** True when a path segment of `word` is a command the rules name. */
function namesCommand(word: string | undefined): boolean {
  if (word === undefined || word === '') return false;
  if (word.indexOf('/') === -1) return COMMANDS.has(word);
  for (const part of word.split('/')) if (COMMANDS.has(part)) return true;
  return false;
}

/** Reads the words at the start of `text` and after each separator, once per text. */
function readSeparatorWords(text: string): void {
  if (wordsText === text) return;
  wordsText = text;
  wordsCommand = false;
  wordsWrapper = false;
  for (const m of text.matchAll(SEP_WORDS_RE)) {
    const first = m[1] ?? '';
    if (WRAPPERS.has(first)) wordsWrapper = true;
    const c = m[0].charCodeAt(0);
    const afterSeparator = m[0].length > 0 && (c === 59 || c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || (c === 36 && m[0][1] === '('));
    if (afterSeparator && (namesCommand(first) || (PREFIX_WORDS.has(first) && namesCommand(m[2])))) wordsCommand = true;
    if (wordsCommand && wordsWrapper) return;
  }
}
function commandAfterSeparator(text: string): boolean {
  readSeparatorWords(text);
  return wordsCommand;
}
function wrapperAtCommandStart(text: string): boolean {
  readSeparatorWords(text);
  return wordsWrapper;
}

const RULES: readonly RegexRule[] = [
  { rule: 'cmdi.command', re: STRONG_RE, any: [';', '|', '&', '\n', '\r', '`', '$('], gate: commandAfterSeparator },
  { rule: 'cmdi.command', re: WEAK_RE, any: [';', '|', '&', '`', '$('], gate: commandAfterSeparator },
  { rule: 'cmdi.shell-construct', re: /\$\{?ifs\b|\$\(\(|\$\[\s*\d|\$\{\w*[#%:/][^}]{0,20}\}/, any: ['$'] },
  // a time delay in a command substitution: the blind probe of command injection
  { rule: 'cmdi.command', re: /(?:\$\(|`)\s*(?:sleep|ping\s+-[cn])\s+\d/, any: ['$(', '`'] },
  { rule: 'cmdi.shell-construct', re: /\/dev\/(?:tcp|udp)\/|[<>]\s*\/(?:tmp|dev\/(?:tcp|udp|shm)|var\/www|etc)\//, any: ['/dev/', '<', '>'] },
  { rule: 'cmdi.shell-construct', re: /[<>]\(\s*[a-z]/, any: ['<(', '>('] },
  {
    rule: 'cmdi.shell-construct',
    re: /\b(?:ba|z|k|da)?sh\s+-[a-z]*[ci]\b|\b(?:python[23]?|perl|ruby|php|node|lua)\s+-[cer]\s+['"]?\s*(?:import|exec|system|require|os\.|socket|print|use\b)|\bnc(?:at)?\s+(?:-[a-z]*\s+)*-[a-z]*[ec]\s/,
    any: [' -'],
  },
  { rule: 'cmdi.shell-construct', re: /^\s*\(\s*\)\s*\{|([a-z_:]\w{0,30})\(\)\s*\{\s*\1\s*\|\s*\1\s*&/, any: ['()'] },
  { rule: 'cmdi.shell-construct', re: /\{\s*,?\s*(?:cat|id|ls|ip|whoami|wget|curl|nc|bash|sh|uname|echo|ping|rm|cp|chmod)\s*,/, any: ['{'] },
  { rule: 'cmdi.shell-construct', re: /(?:^|[;\n])\s*\.(?:shell|system|import|output|databases|tables|dump|load)\b/, any: ['.'] },
  { rule: 'cmdi.command', re: BIN_PATH_RE, any: ['bin/'] },
  { rule: 'cmdi.command', re: /[\n\r]\s*(?:id|ls|pwd|ps|uname|whoami|env|set|w|who)\s*(?:$|[;&|]|\s+-\w)/, any: ['\n', '\r'] },
  // an alias definition, a command wrapper around a real command, an editor escaping to the shell
  { rule: 'cmdi.shell-construct', re: /(?:^|[;&|\n`])\s*alias\s+(?:-\w+\s+)*['"]?[\w.+-]+['"]?=/, any: ['alias'] },
  { rule: 'cmdi.command', re: WRAPPED_RE, any: ['time', 'nohup', 'sudo', 'strace', 'nice', 'timeout', 'flock', 'cpulimit'], gate: wrapperAtCommandStart },
  { rule: 'cmdi.shell-escape', re: /\b(?:vim?|ex|view|nvim)\s+[^;|&\n]{0,60}?(?:-c\s*:?|\+)\s*(?:silent\\*\s*)?\\*!/, any: ['!'] },
  { rule: 'cmdi.command', re: /(?:^|\s)(?:whoami|ifconfig|ipconfig|systeminfo|netstat\s+-\w+|uname\s+-\w+)\s*(?:$|[;|&])/, any: ['whoami', 'config', 'systeminfo', 'netstat', 'uname'] },
  {
    rule: 'cmdi.wildcard-path',
    re: /(?:^|[\s;|&`=(])\/(?:[\w.-]*\/)*(?:[\w.-]*(?:\?|\[[\w-]{1,10}\])[\w.?*[\]-]*\/)+[\w.?*[\]-]+|(?:^|[\s;|&`=(])\/(?:etc|bin|usr|dev|proc|tmp)\/(?:[\w.-]*\/)*[\w.-]*(?:\?|\*|\[[\w-]{1,10}\])[\w.?*[\]-]*/,
    any: ['?', '[', '*'],
  },
  {
    rule: 'cmdi.windows',
    re: /\bfor\s+(?:\/[dlrf]\s+(?:[a-z]:[\\/]\S*\s+)?)*(?:"[^"]{0,60}"\s+)?%%?[\w~@[\-]{1,20}\s+in\s*\(/,
    any: ['%'],
    gate: (t) => t.indexOf('for') !== -1,
  },
  { rule: 'cmdi.windows', re: /\bif\s+(?:\/i\s+)?(?:not\s+)?\(?[^\s()]{1,40}\s+(?:equ|neq|lss|leq|gtr|geq)\s/, any: ['if '] },
  {
    rule: 'cmdi.windows',
    re: /\bif\s+(?:\/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel|cmdextversion)\b|\bif\s+(?:\/i\s+)?(?:not\s+)?["[{(]?%[\w!~]*%?["\]})]?\s*(?:==|equ\b|neq\b|lss\b|leq\b|gtr\b|geq\b)|\bif\s+(?:\/i\s+)?(?:not\s+)?["[({]?[\w!%]*["\])}]?\s*==\s*["[({]?[\w!%]*["\])}]?\s+(?:\(|[a-z@]+\b)/,
    any: ['if '],
  },
  { rule: 'cmdi.windows', re: /%(?:comspec|systemroot|windir|systemdrive|programfiles|userprofile|temp|appdata)%/, any: ['%'] },
  { rule: 'cmdi.windows', re: /\bcmd(?:\.exe)?\s+\/[ck]\b/, any: ['cmd'] },
  {
    rule: 'cmdi.powershell',
    re: /\b(?:invoke-(?:expression|webrequest|restmethod|command|item|wmimethod|shellcode)|new-object\s+(?:-typename\s+)?(?:system\.)?net\.webclient|start-(?:process|bitstransfer)|set-executionpolicy|add-mppreference|get-wmiobject|get-ciminstance|convertto-securestring)\b/,
    any: ['invoke-', 'new-object', 'start-', 'set-exec', 'add-mp', 'get-wmi', 'get-cim', 'convertto-'],
  },
  { rule: 'cmdi.powershell', re: /\b(?:downloadstring|downloadfile|frombase64string)\b/, any: ['download', 'frombase64'] },
  { rule: 'cmdi.powershell', re: /\b(?:powershell|pwsh)(?:\.exe)?\s+(?:-[a-z]+\s+)*-(?:e|enc|encodedcommand|c|command|nop|w|windowstyle|exec|executionpolicy)\b/, any: ['powershell', 'pwsh'] },
  { rule: 'cmdi.powershell', re: /(?:^|[;|&(])\s*(?:iex|iwr|irm|sal|gci|gc)\s*[(\s'"$]/, any: ['iex', 'iwr', 'irm', 'sal', 'gci', 'gc'] },
];

/** Strict paranoia only: a command at the very start of the value, with shell-like arguments. */
const STRICT_RULES: readonly RegexRule[] = [
  { rule: 'cmdi.command', re: new RegExp(`^\\s*(?:${[...STRONG, ...WEAK].map(esc).join('|')})\\s+(?:-{1,2}[a-z]|/|\\.{1,2}/|~|\\$)`) },
  { rule: 'cmdi.shell-construct', re: /\$\([a-z]|!-\d|~[+-]\d*(?:\s|$)/ },
];

const QUICK_RE = /[;|&`$\n\r(<>{/%!]|\bif\b|\bfor\b|-|\b(?:time|nohup|sudo|alias|whoami|ifconfig|ipconfig|systeminfo)\b/;
const COMMANDS = new Set([...STRONG, ...WEAK]);
// A word with a shell's quoting tricks inside it: c'a't, cu$@rl, pi``ng, una$$me, c\at.
const EVADED_WORD_RE = /[a-z]+(?:(?:''|""|['"]|\\|\$[@*!$\d-]|``|\$\{[a-z_]?\})+[a-z]+)+/g;
// What the rules need besides a command word: a separator, a path to a binary, a redirection.
const NEEDS_RERUN_RE = /[;|&\n`<>]|bin\/|\$\(/;
// Quotes, backslashes and empty expansions a shell removes inside a word: c'a't, c\at, c$@at, c${x}at.
const EVASION_RE = /(?<=[\w/])(?:''|""|'(?=\w)|"(?=\w)|\\(?=[\w/])|\$@|\$\*|\$!|\$-|\$\d|\$\{[a-z_]?\}|``)+(?=[\w/'"])|(?<=[\w/])['"](?=[\w/])/g;

/** Quotes alone inside a word are shell quoting only in pairs (c'a't, ca't'); one is an apostrophe (I'd, don't). */
function contraction(text: string, word: string, at: number): boolean {
  if (/[\\$`]/.test(word)) return false;
  let quotes = word.length - word.replace(/['"]/g, '').length;
  if (text[at + word.length] === "'" || text[at + word.length] === '"') quotes++;
  if (text[at - 1] === "'" || text[at - 1] === '"') quotes++;
  return quotes % 2 === 1;
}

// What every rule of RULES needs (a cheap test that lets most text skip them all): a separator, redirection or
// expansion character, a path to a binary or a device, a Windows variable, a command or keyword the rules name, or a
// dot command at the start of a line. The wildcard-path rule also needs a '/' and a wildcard (tested in code).
const RULES_GATE_RE =
  /[;|&`$\n\r<>{]|bin\/|\/dev\/|%|\b(?:if|for|time|nohup|sudo|strace|nice|timeout|flock|cpulimit|alias|whoami|ifconfig|ipconfig|systeminfo|netstat|uname|sh|bash|zsh|ksh|dash|python[23]?|perl|ruby|php|node|lua|nc|ncat|cmd|powershell|pwsh|iex|iwr|irm|sal|gci|gc|vim?|ex|view|nvim|downloadstring|downloadfile|frombase64string)\b|\b(?:invoke|new-object|start|set-executionpolicy|add-mppreference|get-wmiobject|get-ciminstance|convertto-securestring)\b|(?:^|[;\n])\s*\./;
const WILDCARD_RE = /[?*[]/;

/** Detects shell command injection in one decoded value. */
export function detectCmdi(value: string, opts: DetectOptions): Match | null {
  const lower = value.toLowerCase();
  if (!QUICK_RE.test(lower)) return null;
  const gate = RULES_GATE_RE.test(lower) || (lower.indexOf('/') !== -1 && WILDCARD_RE.test(lower));
  const m = (gate ? firstRegexMatch(lower, RULES, opts) : null) ?? (opts.strict ? firstRegexMatch(lower, STRICT_RULES, opts) : null);
  if (m !== null) return m;
  if (!/['"\\$`]/.test(lower)) return null;
  if (opts.skip === null || !opts.skip('cmdi.evasion')) {
    for (const w of lower.matchAll(EVADED_WORD_RE)) {
      if (!COMMANDS.has(w[0].replace(/[^a-z]/g, '')) || contraction(lower, w[0], w.index)) continue;
      return { rule: 'cmdi.evasion', fragment: lower.slice(w.index) };
    }
  }
  if (!NEEDS_RERUN_RE.test(lower)) return null;
  const plain = lower.replace(EVASION_RE, '');
  if (plain === lower) return null;
  const e = firstRegexMatch(plain, RULES, opts);
  return e === null ? null : { rule: e.rule === 'cmdi.command' ? 'cmdi.evasion' : e.rule, fragment: e.fragment };
}
