// `npm run check:links`: every local link and resource of docs/site resolves to a file
// (href/src on every page; absolute /developers/… paths and relative ones; fragments, data:,
// mailto: and external http(s) links are listed, not fetched — there is no network at build time).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const site = resolve(dirname(fileURLToPath(import.meta.url)), 'site');
const pages = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.html')) pages.push(p);
  }
})(site);
if (!pages.length) {
  console.error('no pages in docs/site: run npm run gen:api first');
  process.exit(1);
}
const broken = [];
const external = new Set();
let checked = 0;
for (const page of pages) {
  const html = readFileSync(page, 'utf8');
  // href/src attributes, and the document URL each reference page hands to Scalar.
  for (const m of html.matchAll(/\s(?:href|src)=(?:"([^"]*)"|'([^']*)')|"url":"([^"]*)"/g)) {
    const link = (m[1] ?? m[2] ?? m[3]).replace(/&amp;/g, '&');
    if (!link || link.startsWith('#') || /^(data|mailto|javascript|blob):/i.test(link)) continue;
    if (/^https?:\/\//i.test(link) || link.startsWith('//')) {
      external.add(link);
      continue;
    }
    const path = decodeURIComponent(link.split(/[?#]/)[0]);
    const target = path.startsWith('/') ? join(site, path) : resolve(dirname(page), path);
    checked++;
    const ok = existsSync(target) && (statSync(target).isFile() || existsSync(join(target, 'index.html')));
    if (!ok) broken.push(`${relative(site, page)}: ${link}`);
  }
}
console.log(`${pages.length} pages, ${checked} local links checked, ${external.size} external links not fetched`);
if (broken.length) {
  console.error(`broken links:\n  ${[...new Set(broken)].join('\n  ')}`);
  process.exit(1);
}
console.log('no broken links');
