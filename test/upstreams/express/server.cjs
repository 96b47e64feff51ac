// Express with its default routing (case-insensitive, non-strict) and the routes every test upstream has
// (test/upstreams/routes.ts): each answers "route <name>". Express is loaded from the directory given as the
// first argument (provisioned outside the repository). Listens on 127.0.0.1, an ephemeral port printed on stdout.
const { createRequire } = require('node:module');
const path = require('node:path');

const express = createRequire(path.join(process.argv[2], 'package.json'))('express');
const app = express();
const route = (name, status = 200) => (req, res) => res.status(status).type('text/plain').send(`route ${name}`);
app.all('/admin', route('admin'));
app.all('/admin/{*rest}', route('admin'));
app.all('/public/{*rest}', route('public'));
app.all('/docs/{*rest}', route('docs'));
app.all('/login', route('login'));
app.use(route('none', 404));
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
