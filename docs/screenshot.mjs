// `npm run screenshot -- <page url> <out.png>`: a headless-Chromium (Debian's, via playwright-core;
// no browser download) screenshot of a reference page, e.g. of one operation with its schema.
// Default: the getCustomer page of a local static server over docs/site.
import http from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const site = resolve(dirname(fileURLToPath(import.meta.url)), 'site');
const [urlArg, out = resolve('docs-screenshot.png')] = process.argv.slice(2);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.png': 'image/png' };

let server;
let url = urlArg;
if (!url) {
  server = http.createServer((req, res) => {
    let p = join(site, decodeURIComponent(req.url.split(/[?#]/)[0]));
    if (existsSync(p) && statSync(p).isDirectory()) p = join(p, 'index.html');
    if (!p.startsWith(site) || !existsSync(p)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream' }).end(readFileSync(p));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}/developers/api/v1-admin/getCustomer/#tag/customers/GET/api/v1/customers/{customer_id}`;
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForSelector('text=Responses', { timeout: 15_000 }).catch(() => {});
  await page.waitForTimeout(1000);
  await page.screenshot({ path: out, fullPage: false });
  console.log(`screenshot of ${url} → ${out}`);
} finally {
  await browser.close();
  server?.close();
}
