/**
 * A deterministic generator of benign API requests, shaped like what real clients send: browsers and SDKs with
 * their headers and cookies, REST paths with ids, search text that uses SQL words and quotes, names with
 * apostrophes, arithmetic, JSON and other filter DSLs in query parameters, tokens, URLs, code snippets, markdown
 * and non-ASCII text, in query strings, JSON, form and multipart bodies.
 */
import type { InspectionInput } from '../inspect.ts';

/** A generated request with a short description of its template (for reports). */
export interface BenignRequest {
  template: string;
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: string;
}

/** Small seeded PRNG (mulberry32): the same seed always gives the same traffic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  "O'Brien", "Conan O'Brien", "Shaquille O'Neal", "D'Angelo Russell", "Mary-Jane O'Connor-Smith", "Jean-Luc d'Arcy",
  "Zoë D'Árcy", 'José Álvarez', 'François Müller', 'Łukasz Żółć', 'Nguyễn Thị Minh', '王小明', '佐藤 花子', 'Дмитрий Иванов',
  'محمد عبد الله', "Ngāti Porou", "Mc'Donald", "L'Oréal", "N'Golo Kanté", "Ja'Marr Chase", 'Anne-Sophie de la Tour',
  'Select Comfort', 'Union Pacific', 'Drop Zone Ltd', 'Order of the Phoenix', 'Group By Design', 'Table Mountain Inc',
  "Rock 'n' Roll Café", 'Bob & Alice', 'A&B Plumbing', 'Smith, John', 'de Souza e Silva', 'Hernández-Peña',
];

const SEARCHES = [
  'select a union representative', 'drop shipping suppliers', 'order by price low to high', 'delete my account',
  'how to update my address', 'insert coin', 'where is my order', 'tea or coffee', 'black and white or colour',
  'rock or roll', 'true or false quiz', 'yes or no', 'not null pointer exception', 'like new condition',
  'between 10 and 20 dollars', 'is this in stock?', 'sleep 8 hours', 'how much sleep do I need (adults)',
  'benchmark results for GPUs', 'wait for delay notification', 'script writing course', 'javascript tutorial',
  'java or kotlin', 'on sale now', 'select your size (S, M, L)', 'union jack flag', 'group by month in excel',
  'having fun at the beach', 'execute a will', 'create an account', 'alter ego costume', 'truncate long text css',
  'declare independence', 'shutdown windows 11', 'exec summary template', 'char limit on twitter',
  'count of monte cristo', 'concat strings in python', 'substring vs slice', 'char(10) in excel',
  'if then else in excel', 'case when sql tutorial', "don't stop me now", "it's 5 o'clock somewhere",
  "rock 'n' roll hall of fame", "5' 11\" tall", "the 'best' laptop", '"exact phrase" search', "men's shoes size 10",
  "women's day 2024", "children's books", "o'reilly media", 'c++ or java?', 'c# and .net', 'node.js v20',
  'a/b testing', '1/2 cup sugar', '50% off', '100% cotton', '2 + 2 = 4', '1=1', 'x > y', 'a < b and b > c',
  'price >= 10', 'rating != 1', 'e = mc^2', '3 * (4 + 5)', '-5 + 3', '10 - 3 - 2', '2^10', 'sqrt(16)', 'sin(x)',
  'log(100)', 'max(a, b)', 'f(x) = x^2 + 1', '∑ i for i in 1..n', 'π ≈ 3.14159', '½ + ¼ = ¾', '€ 19,99',
  'who am I', 'cat food', 'dog bed', 'ping pong table', 'curl your hair', 'sh sh quiet', 'id card', 'echo dot',
  'nc state', 'rm -rf myths explained', 'the ls command', 'python -m venv', 'bash script tutorial', 'ls -la output',
  'sudo make me a sandwich', 'kill bill', 'top 10 movies', 'more or less', 'set theory', 'for loop in bash',
  'if else statement', 'time zone converter', 'date night ideas', 'env variables node', 'php vs python',
  'a..z', 'etc.', 'e.g. this', 'i.e. that', '...', 'wait... what?', 'to be continued...', 'version 2.0.1 -- notes',
  'save 20% -- today only', 'see /docs/api', 'path/to/file.txt', 'C:\\Users\\Public', '~/projects', './config',
  'etc/hosts explained', 'passwd command', 'windows ini files', 'proc macro rust', 'boot camp mac', '.env files',
  '.gitignore templates', 'htaccess redirect', 'ssh keys github', 'aws credentials setup', 'onload event',
  'onclick vs addEventListener', 'alert dialog design', 'prompt engineering', 'confirm email', 'eval metrics',
  'document cookie policy', 'window location', '<3 love it', '<b>bold</b>', 'x -> y -> z', 'a => b', '@mention',
  '#hashtag', '$100', '#1 best seller', '@@ diff hunk', 'user@example.com', '東京 ラーメン', 'café crème',
  'Ünïcödé tëxt', 'emoji 😀🎉', 'مرحبا بالعالم', 'שלום עולם', 'Привет мир', '你好，世界', 'naïve résumé',
];

const MATH = [
  '2 + 2 = 4', '1=1', 'x > y', 'a < b and b > c', 'price >= 10', 'rating != 1', 'e = mc^2', '3 * (4 + 5)', '-5 + 3',
  '10 - 3 - 2', '2^10', 'sqrt(16)', 'sin(x)', 'log(100)', 'max(a, b)', 'f(x) = x^2 + 1', '(1 + 2) * 3 = 9', '7 % 3',
  'a/b', '1/2 + 1/3', '0x1F + 1', '1e-9', '-1', '+33 1 23 45 67 89', '3 > 2 > 1', 'x == y', 'n! / (k! (n - k)!)',
];

const WORDS = [
  'order', 'select', 'table', 'union', 'group', 'from', 'where', 'update', 'delete', 'insert', 'drop', 'and', 'or',
  'not', 'null', 'like', 'in', 'is', 'by', 'set', 'values', 'into', 'join', 'case', 'when', 'then', 'end', 'if',
  'sleep', 'wait', 'script', 'alert', 'prompt', 'error', 'load', 'focus', 'click', 'style', 'image', 'frame',
  'cat', 'ls', 'id', 'echo', 'time', 'date', 'find', 'ping', 'more', 'type', 'copy', 'file', 'path', 'etc', 'home',
  'user', 'admin', 'root', 'shop', 'blue', 'shirt', 'price', 'free', 'the', 'a', 'of', 'to', 'best', 'new', 'cheap',
];

const FILTERS = [
  '{"status":{"$in":["active","pending"]},"price":{"$gte":10,"$lte":100}}',
  '{"$or":[{"name":{"$regex":"^O\'Br"}},{"email":{"$exists":true}}]}',
  '{"and":[{"field":"age","op":">=","value":18},{"field":"country","op":"=","value":"FR"}]}',
  '{"where":{"title":{"like":"%union%"}},"order":["created_at DESC"],"limit":20}',
  '{"query":{"bool":{"must":[{"match":{"title":"select or drop"}}],"filter":[{"range":{"price":{"gte":5}}}]}}}',
  "Price gt 20 and Category eq 'Books'",
  "startswith(Name, 'O''Brien') or Rating ge 4",
  "contains(Description, 'drop-in') and Year lt 2020",
  'name=="Bob*";age=gt=30',
  'status==active,status==pending;created=ge=2024-01-01',
  "title:(quick OR brown) AND NOT status:draft",
  'author:"O\'Neil" AND year:[2000 TO 2010]',
  'price:>10 price:<100 tag:sale',
  'created_at>=2024-01-01 AND created_at<2024-02-01',
  'country IN (FR, DE, IT)',
  'sort=-created_at,name',
  'fields=id,name,email,orders(id,total)',
  '(a=1 OR b=2) AND c!=3',
  'tags contains "sale" && price < 50',
  'level > 3 || role == "admin"',
  '$.store.book[?(@.price < 10)].title',
  '//book[price>35]/title',
  'user.name eq "O\'Brien"',
  'query { user(id: "42") { name orders(first: 10) { id total } } }',
  'mutation { addComment(postId: 7, text: "It\'s great -- really!") { id } }',
  '{ search(term: "select * from") { ... on Product { name } } }',
];

const CODE = [
  'SELECT name FROM users WHERE id = 42',
  'SELECT * FROM orders ORDER BY created_at DESC LIMIT 10',
  'UPDATE users SET name = ? WHERE id = ?',
  'INSERT INTO logs (level, msg) VALUES ($1, $2)',
  'if (a < b && c > d) { return a; }',
  'for (let i = 0; i < n; i++) { sum += arr[i]; }',
  'const total = items.reduce((acc, x) => acc + x.price, 0);',
  'img.onload = () => resize(img);',
  'function add(a, b) { return a + b; }',
  "print('hello world')",
  'def greet(name): return f"Hello, {name}!"',
  'x = y == z ? 1 : 0;',
  'a && b || c',
  '// TODO: fix this later',
  '/* block comment */ int x = 1;',
  '#include <stdio.h>',
  'npm install --save-dev vitest',
  'git commit -m "fix: handle O\'Brien"',
  'docker run -p 8080:80 nginx',
  'kubectl get pods -n default',
  'curl -H "Accept: application/json" https://api.example.com/v1/items',
  'ls -la /home/user/projects',
  'grep -r "TODO" src/',
  'SELECT COUNT(*) FROM events GROUP BY day',
  'let re = /^[a-z]+$/i;',
  'document.getElementById("app")',
  'console.log(`total: ${total}`)',
  '<div class="card">{{ item.name }}</div>',
  'map.put("key", value);',
  'System.out.println("done");',
  'fmt.Println("ok")',
  'echo $HOME',
  'export PATH=$PATH:/usr/local/bin',
  'a | b | c',
  '2 > /dev/null',
];

const MARKDOWN = [
  '# Heading\n\nSome **bold** text and `code`.',
  '- item one\n- item two\n- item three',
  '[link text](https://example.com/docs?page=2#section)',
  '![alt text](https://cdn.example.com/img/logo.png)',
  '> quoted text from the spec',
  '| col1 | col2 |\n|------|------|\n| a | b |',
  '```js\nconst x = 1;\n```',
  'Press <kbd>Ctrl</kbd> + <kbd>C</kbd>',
  '<p>Hello, <em>world</em>!</p>',
  '<b>bold</b> and <i>italic</i>',
  'Great product! Would buy again :)',
  "Doesn't fit -- too small (I'm a size 10).",
  'Item arrived damaged; box was crushed.',
  'The battery lasts ~10 hours, or more if you dim the screen.',
  'Waterproof (IP68), dust-resistant, with a 6.1" OLED display.',
  '"Best purchase ever," says Sarah.',
  'Q: Does it work with Mac? A: Yes, macOS 12+.',
  'Shipping: 3-5 business days (free over $50)',
  'Step 1; step 2; step 3',
  'Note: bring ID (passport or licence)',
  "I'd like 2 or 3 of these, please",
  'Is it better to rent or buy?',
  'either this or that, but not both',
  '5 stars -- would order again; select this one over the cheaper brand',
  "Drop me a line if you're in town; we'll grab coffee or tea.",
  'Union Station at 5pm? Or 6, whatever works.',
  'Meeting notes: 1) budget 2) hiring 3) Q&A',
  'Ingredients: water, sugar, lemon juice (3%), natural flavours.',
  'Löwenbräu 0,5 l — 2,99 €',
  '日本語のレビュー：とても良い商品です。',
  'Très bien, merci ! Livraison rapide.',
  'Отличный товар, рекомендую!',
  'ممتاز جدا 👍',
];

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'okhttp/4.12.0',
  'Go-http-client/2.0',
  'PostmanRuntime/7.37.3',
  'axios/1.6.8',
  'Dart/3.3 (dart:io)',
  'MyShopApp/5.2.1 (com.example.shop; build:5210; iOS 17.4.1) Alamofire/5.9.0',
  'aws-sdk-js/3.540.0 ua/2.0 os/linux#6.5.0 lang/js md/nodejs#20.11.1',
];

const ACCEPTS = [
  'application/json',
  'application/json, text/plain, */*',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  '*/*',
  'application/vnd.api+json',
  'application/hal+json;q=1.0, application/json;q=0.9',
];

const LANGS = ['en-US,en;q=0.9', 'en-GB,en;q=0.9,fr;q=0.8', 'de-DE,de;q=0.9,en;q=0.8', 'ja,en-US;q=0.9', 'fr-FR,fr;q=0.9'];

function pick<T>(r: () => number, a: readonly T[]): T {
  return a[Math.floor(r() * a.length)] as T;
}

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function b64(r: () => number, n: number, url = true): string {
  let s = '';
  for (let i = 0; i < n; i++) s += r() < 0.04 ? (url ? pick(r, ['-', '_']) : pick(r, ['+', '/'])) : B64[Math.floor(r() * B64.length)];
  return s;
}

function uuid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
}

function jwt(r: () => number): string {
  return `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${b64(r, 60 + Math.floor(r() * 80))}.${b64(r, 86)}`;
}

function token(r: () => number): string {
  return pick(r, [
    () => jwt(r),
    () => `sk_live_${b64(r, 24)}`,
    () => hex(r, 40),
    () => `${b64(r, 43, false)}=`,
    () => uuid(r),
    () => `ghp_${b64(r, 36)}`,
    () => `v1.${hex(r, 16)}.${Math.floor(r() * 1e10)}`,
  ])();
}

function url(r: () => number): string {
  const host = pick(r, ['app.example.com', 'www.example.org', 'cdn.example.net', 'localhost:3000', 'shop.example.co.uk']);
  const path = pick(r, ['/', '/callback', '/auth/return', '/products/123', '/search', '/a/b/c.html', '/docs/v2/#install']);
  const q = r() < 0.5 ? '' : `?${pick(r, ['utm_source=newsletter&utm_medium=email', `state=${b64(r, 16)}`, 'q=tea+or+coffee', 'page=2&sort=-date', `id=${uuid(r)}`])}`;
  return `https://${host}${path}${q}`;
}

function cookie(r: () => number): string {
  const parts = [
    `_ga=GA1.2.${Math.floor(r() * 1e9)}.${1700000000 + Math.floor(r() * 1e7)}`,
    `session=${r() < 0.5 ? jwt(r) : b64(r, 32)}`,
    `csrftoken=${b64(r, 32)}`,
    `theme=${pick(r, ['dark', 'light'])}`,
    `lang=${pick(r, ['en-GB', 'fr', 'de'])}`,
    `cart=${encodeURIComponent(JSON.stringify({ items: [1, 2, 3], coupon: null }))}`,
    `last_search=${encodeURIComponent(pick(r, SEARCHES))}`,
    `consent=${encodeURIComponent('{"ads":false,"analytics":true}')}`,
  ];
  return parts.filter(() => r() < 0.6).join('; ') || parts[0] as string;
}

/** Encodes like a browser address bar / fetch(): encodeURIComponent, with '+' for spaces half of the time. */
function q(r: () => number, v: string): string {
  const e = encodeURIComponent(v);
  return r() < 0.5 ? e.replaceAll('%20', '+') : e;
}

function phrase(r: () => number): string {
  const n = 1 + Math.floor(r() * 5);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(pick(r, WORDS));
  return w.join(' ');
}

function freeText(r: () => number): string {
  return pick(r, [() => pick(r, SEARCHES), () => pick(r, MATH), () => pick(r, NAMES), () => phrase(r), () => pick(r, MARKDOWN), () => pick(r, CODE)])();
}

type Template = (r: () => number) => Omit<BenignRequest, 'template' | 'headers'> & { headers?: Array<[string, string]> };

const TEMPLATES: Record<string, Template> = {
  'search query': (r) => ({ method: 'GET', uri: `/api/v1/search?q=${q(r, freeText(r))}&page=${1 + Math.floor(r() * 9)}&limit=20` }),
  'name lookup': (r) => ({ method: 'GET', uri: `/api/v2/customers?lastName=${q(r, pick(r, NAMES))}&country=${pick(r, ['IE', 'FR', 'US', 'JP'])}` }),
  'filter DSL in query': (r) => ({ method: 'GET', uri: `/api/products?filter=${q(r, pick(r, FILTERS))}&sort=${q(r, pick(r, ['-price', 'name', 'created_at desc']))}` }),
  'odata query': (r) => ({ method: 'GET', uri: `/odata/Products?$filter=${q(r, pick(r, FILTERS.slice(5, 8)))}&$top=10&$orderby=${q(r, 'Price desc')}` }),
  'graphql get': (r) => ({ method: 'GET', uri: `/graphql?query=${q(r, pick(r, FILTERS.slice(-3)))}&variables=${q(r, JSON.stringify({ id: uuid(r) }))}` }),
  'math in query': (r) => ({ method: 'GET', uri: `/api/calc?expr=${q(r, pick(r, MATH))}` }),
  'resource by id': (r) => ({
    method: pick(r, ['GET', 'DELETE', 'GET']),
    uri: `/api/v1/${pick(r, ['orders', 'users', 'invoices', 'products'])}/${pick(r, [uuid(r), String(Math.floor(r() * 1e6)), `ord_${b64(r, 14)}`])}${pick(r, ['', '/items', '/history', '/pdf'])}`,
  }),
  'nested path': (r) => ({
    method: 'GET',
    uri: `/files/${pick(r, ['reports', 'exports', 'img'])}/${2020 + Math.floor(r() * 5)}/${pick(r, ['q1.pdf', 'summary.csv', 'logo@2x.png', 'data.tar.gz', 'notes.md', 'index.html', 'archive.zip'])}`,
  }),
  'well-known': (r) => ({ method: 'GET', uri: pick(r, ['/.well-known/openid-configuration', '/.well-known/jwks.json', '/favicon.ico', '/robots.txt', '/healthz', '/metrics', '/api/v1/health']) }),
  'redirect param': (r) => ({ method: 'GET', uri: `/oauth/authorize?response_type=code&client_id=${b64(r, 20)}&redirect_uri=${q(r, url(r))}&scope=${q(r, 'openid profile email')}&state=${b64(r, 22)}` }),
  'token param': (r) => ({ method: 'GET', uri: `/api/v1/verify?token=${q(r, token(r))}&email=${q(r, `${pick(r, ['jane', "o'neil", 'j.doe+news'])}@example.com`)}` }),
  'pagination cursor': (r) => ({ method: 'GET', uri: `/api/v1/events?cursor=${q(r, b64(r, 40, false) + '==')}&since=${q(r, '2024-01-15T10:30:00.000+02:00')}&fields=id,name,created_at` }),
  'date range': (r) => ({ method: 'GET', uri: `/api/reports?from=2024-0${1 + Math.floor(r() * 9)}-01&to=2024-12-31&tz=${q(r, 'Europe/Paris')}&group=day` }),
  'array params': (r) => ({ method: 'GET', uri: `/api/items?ids[]=${Math.floor(r() * 100)}&ids[]=${Math.floor(r() * 100)}&tags=${q(r, 'red,blue,green')}&include=author.profile` }),
  'json body': (r) => ({
    method: pick(r, ['POST', 'PUT', 'PATCH']),
    uri: `/api/v1/${pick(r, ['comments', 'reviews', 'tickets', 'profiles'])}`,
    headers: [['Content-Type', 'application/json']],
    body: JSON.stringify({
      id: uuid(r),
      author: { name: pick(r, NAMES), email: `${pick(r, ['ann', 'bob', "d'angelo"])}@example.com` },
      title: pick(r, SEARCHES),
      text: freeText(r),
      rating: Math.floor(r() * 5) + 1,
      tags: [pick(r, WORDS), pick(r, WORDS)],
      meta: { client: pick(r, USER_AGENTS), ts: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 3e10)).toISOString() },
    }),
  }),
  'json filter body': (r) => ({ method: 'POST', uri: '/api/v1/products/search', headers: [['Content-Type', 'application/json']], body: `{"filter":${pick(r, FILTERS.slice(0, 5))},"page":${Math.floor(r() * 5)}}` }),
  'json code snippet': (r) => ({ method: 'POST', uri: '/api/v1/snippets', headers: [['Content-Type', 'application/json; charset=utf-8']], body: JSON.stringify({ language: pick(r, ['sql', 'js', 'bash', 'python']), code: pick(r, CODE), description: pick(r, MARKDOWN) }) }),
  'form login': (r) => ({
    method: 'POST',
    uri: '/login',
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: `username=${q(r, pick(r, NAMES))}&password=${q(r, pick(r, ["Tr0ub4dor&3", "correct horse battery staple", "P@ss'w0rd!", 'hunter2', "O'Brien#1984", '1=1 or not', '--secret--', '<3kittens<3']))}&remember=1`,
  }),
  'form post': (r) => ({ method: 'POST', uri: '/contact', headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8']], body: `name=${q(r, pick(r, NAMES))}&message=${q(r, freeText(r))}&subject=${q(r, pick(r, SEARCHES))}` }),
  'multipart upload': (r) => {
    const b = `----WebKitFormBoundary${b64(r, 16)}`;
    const fname = pick(r, ['photo.jpg', 'report 2024 (final).pdf', "O'Brien CV.docx", 'résumé.pdf', 'data.csv', 'screenshot 2024-01-15 at 10.30.00.png']);
    return {
      method: 'POST',
      uri: '/api/v1/uploads',
      headers: [['Content-Type', `multipart/form-data; boundary=${b}`]],
      body: `--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${pick(r, SEARCHES)}\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fname}"\r\nContent-Type: application/octet-stream\r\n\r\n${b64(r, 200)}\r\n--${b}--\r\n`,
    };
  },
  'webhook': (r) => ({
    method: 'POST',
    uri: `/webhooks/${pick(r, ['stripe', 'github', 'slack'])}`,
    headers: [['Content-Type', 'application/json'], ['X-Signature', `t=${1700000000 + Math.floor(r() * 1e7)},v1=${hex(r, 64)}`]],
    body: JSON.stringify({ id: `evt_${b64(r, 24)}`, type: pick(r, ['payment_intent.succeeded', 'push', 'message.channels']), data: { object: { amount: Math.floor(r() * 1e5), description: pick(r, SEARCHES), url: url(r) } } }),
  }),
  'graphql post': (r) => ({ method: 'POST', uri: '/graphql', headers: [['Content-Type', 'application/json']], body: JSON.stringify({ query: pick(r, FILTERS.slice(-3)), variables: { term: pick(r, SEARCHES) } }) }),
};

/**
 * Generates `count` benign requests (default 1,500) from the given seed. Every request carries realistic headers:
 * a user agent, accept and language, often cookies, a referer and an authorization or API key header.
 */
export function benignTraffic(count = 1500, seed = 20240115): BenignRequest[] {
  const r = rng(seed);
  const names = Object.keys(TEMPLATES);
  const out: BenignRequest[] = [];
  for (let i = 0; i < count; i++) {
    const template = names[i % names.length] as string;
    const t = (TEMPLATES[template] as Template)(r);
    const headers: Array<[string, string]> = [
      ['Host', 'api.example.com'],
      ['User-Agent', pick(r, USER_AGENTS)],
      ['Accept', pick(r, ACCEPTS)],
      ['Accept-Language', pick(r, LANGS)],
      ['Accept-Encoding', 'gzip, deflate, br'],
    ];
    if (r() < 0.6) headers.push(['Cookie', cookie(r)]);
    if (r() < 0.5) headers.push(['Referer', url(r)]);
    if (r() < 0.5) headers.push(r() < 0.5 ? ['Authorization', `Bearer ${jwt(r)}`] : ['X-Api-Key', token(r)]);
    if (r() < 0.3) headers.push(['X-Request-Id', uuid(r)]);
    if (r() < 0.2) headers.push(['If-None-Match', `W/"${hex(r, 8)}-${hex(r, 4)}"`]);
    if (r() < 0.2) headers.push(['X-Search-Term', pick(r, SEARCHES)]);
    const req: BenignRequest = { template, method: t.method, uri: t.uri, headers: [...headers, ...(t.headers ?? [])] };
    if (t.body !== undefined) req.body = t.body;
    out.push(req);
  }
  return out;
}

/** The request as the inspection sees it (lowercase header names). */
export function toInspectionInput(req: { uri: string; headers: ReadonlyArray<readonly [string, string]>; body?: string }): InspectionInput {
  const headers = new Map<string, string>();
  for (const [k, v] of req.headers) {
    const name = k.toLowerCase();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? v : `${prev}${name === 'cookie' ? '; ' : ', '}${v}`);
  }
  const input: InspectionInput = { path: req.uri, headers };
  if (req.body !== undefined) input.body = req.body;
  return input;
}
