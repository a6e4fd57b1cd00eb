// `npm run gen:api`: the API reference pages from the OpenAPI documents, rendered by Scalar
// (@scalar/api-reference's standalone bundle, copied into the site so the pages work offline),
// and the narrative pages (Markdown in narrative/, rendered by marked) into
// site/developers/api/<api>/:
//
//   index.html               the whole reference of the API (every operation, deep links)
//   <operationId>/index.html one page per operation (request and response schemas, every
//                            parameter, examples, scopes, stability)
//   guide/index.html         the narrative page (authentication and scopes, rate limits,
//                            pagination, idempotency, errors)
//   openapi.json             the document itself (each operation page has its own subset)
//
// An API whose document does not exist yet (generation) is skipped with a note.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const site = resolve(here, 'site');
const scalar = resolve(here, 'node_modules/@scalar/api-reference/dist/browser/standalone.js');
const SCALAR_JS = '/developers/assets/scalar-api-reference.js';

const APIS = [
  { slug: 'v1-admin', name: 'Sumeru Admin API v1', doc: 'services/admin-api/openapi.json', guide: 'narrative/admin.md', host: 'admin.localhost' },
  { slug: 'partner', name: 'Sumidata Partner API', doc: 'services/partner-api/openapi.json', guide: 'narrative/partner.md', host: 'partner.localhost' },
  { slug: 'v1-generation', name: 'Sume Generation API v1', doc: 'services/generation-api/openapi.json', guide: 'narrative/generation.md', host: 'gen.localhost' },
];
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Scopes and stability into the operation's description (Redoc does not render x- fields). */
function annotate(op, doc) {
  const security = op.security ?? doc.security ?? [];
  const scopes = [...new Set(security.flatMap((req) => Object.values(req).flat()))];
  const anonymous = security.length === 0 || security.some((req) => Object.keys(req).length === 0);
  const stability = op['x-sumeru-stability'] ?? op['x-stability'] ?? doc['x-stability'];
  const facts = [
    stability ? `**Stability:** \`${stability}\`` : null,
    anonymous ? '**Authentication:** none' : `**Scopes:** ${scopes.length ? scopes.map((s) => `\`${s}\``).join(', ') : 'any valid key'}`,
  ].filter(Boolean);
  return { ...op, description: `${facts.join(' · ')}\n\n${op.description ?? ''}`.trim() };
}

/** A Scalar page for the document at `specUrl` (hash routing; no fonts or services from outside). */
function reference(output, title, specUrl, single = false) {
  mkdirSync(dirname(output), { recursive: true });
  const config = { url: specUrl, hideModels: single, agent: { disabled: true }, withDefaultFonts: false, hideClientButton: true, showDeveloperTools: 'never', telemetry: false, defaultOpenAllTags: true, expandAllResponses: true };
  writeFileSync(output, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif}</style></head>
<body><div id="app"></div><script src="${SCALAR_JS}"></script>
<script>Scalar.createApiReference('#app', ${JSON.stringify(config)});</script></body></html>\n`);
}

function page(title, body, api) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>
body{font:16px/1.6 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;max-width:920px;margin:0 auto;padding:24px}
nav{font-size:14px;margin-bottom:24px}nav a{margin-right:16px}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px}
pre{background:#f4f6f8;padding:12px;overflow:auto;border-radius:6px}table{border-collapse:collapse}td,th{border:1px solid #d9e2ec;padding:4px 10px;text-align:left}
h1,h2,h3{line-height:1.25}a{color:#0b61a4}</style></head><body>
<nav><a href="/developers/">Developers</a>${api ? `<a href="/developers/api/${api.slug}/">${escapeHtml(api.name)} reference</a><a href="/developers/api/${api.slug}/guide/">Guide</a>` : ''}</nav>
${body}</body></html>\n`;
}

rmSync(site, { recursive: true, force: true });
mkdirSync(resolve(site, 'developers/assets'), { recursive: true });
copyFileSync(scalar, resolve(site, 'developers', SCALAR_JS.replace('/developers/', '')));
const built = [];
for (const api of APIS) {
  const docPath = resolve(repo, api.doc);
  if (!existsSync(docPath)) {
    console.log(`skip ${api.slug}: ${api.doc} does not exist yet`);
    continue;
  }
  const doc = JSON.parse(readFileSync(docPath, 'utf8'));
  const out = resolve(site, 'developers/api', api.slug);
  mkdirSync(out, { recursive: true });
  writeFileSync(resolve(out, 'openapi.json'), JSON.stringify(doc, null, 2));
  const operations = [];
  const annotated = structuredClone(doc);
  for (const [path, item] of Object.entries(annotated.paths ?? {})) {
    for (const m of METHODS) if (item[m]) item[m] = annotate(item[m], doc);
  }
  annotated.info = {
    ...annotated.info,
    description: `${annotated.info.description ?? ''}\n\nGuide: [authentication, rate limits, pagination, idempotency, errors](/developers/api/${api.slug}/guide/). ` +
      `Each operation also has a page of its own (listed in the [index](/developers/api/${api.slug}/operations/)).`,
  };
  writeFileSync(resolve(out, 'reference.json'), JSON.stringify(annotated));
  reference(resolve(out, 'index.html'), `${api.name} — reference`, `/developers/api/${api.slug}/reference.json`);
  for (const [path, item] of Object.entries(annotated.paths ?? {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const id = op.operationId ?? `${m}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
      operations.push({ id, method: m.toUpperCase(), path, summary: op.summary ?? '' });
      const single = {
        ...annotated,
        info: { ...annotated.info, title: `${op.summary ?? id} — ${api.name}`, description: `\`${m.toUpperCase()} ${path}\` · part of the [${api.name} reference](/developers/api/${api.slug}/) · [guide](/developers/api/${api.slug}/guide/)` },
        paths: { [path]: { ...(item.parameters ? { parameters: item.parameters } : {}), [m]: op } },
        tags: (annotated.tags ?? []).filter((t) => (op.tags ?? []).includes(t.name)),
      };
      mkdirSync(resolve(out, id), { recursive: true });
      writeFileSync(resolve(out, id, 'openapi.json'), JSON.stringify(single));
      reference(resolve(out, id, 'index.html'), `${m.toUpperCase()} ${path} — ${api.name}`, `/developers/api/${api.slug}/${id}/openapi.json`, true);
    }
  }
  const rows = operations
    .map((o) => `<tr><td><code>${o.method}</code></td><td><a href="/developers/api/${api.slug}/${o.id}/"><code>${escapeHtml(o.path)}</code></a></td><td>${escapeHtml(o.summary)}</td></tr>`)
    .join('\n');
  mkdirSync(resolve(out, 'operations'), { recursive: true });
  writeFileSync(resolve(out, 'operations', 'index.html'), page(`${api.name} — operations`,
    `<h1>${escapeHtml(api.name)} — operations</h1><p>One page per operation; the <a href="/developers/api/${api.slug}/">whole reference</a> has them all on one page.
The document: <a href="/developers/api/${api.slug}/openapi.json">openapi.json</a>.</p><table><tr><th>method</th><th>path</th><th>summary</th></tr>\n${rows}</table>`, api));
  const guide = resolve(here, api.guide);
  if (existsSync(guide)) {
    mkdirSync(resolve(out, 'guide'), { recursive: true });
    writeFileSync(resolve(out, 'guide', 'index.html'), page(`${api.name} — guide`, marked.parse(readFileSync(guide, 'utf8')), api));
  }
  built.push({ ...api, operations: operations.length });
}
const list = built
  .map((a) => `<li><a href="/developers/api/${a.slug}/">${escapeHtml(a.name)}</a> — <a href="/developers/api/${a.slug}/guide/">guide</a>, <a href="/developers/api/${a.slug}/operations/">${a.operations} operation pages</a>, <a href="/developers/api/${a.slug}/openapi.json">openapi.json</a></li>`)
  .join('\n');
writeFileSync(resolve(site, 'developers', 'index.html'), page('Developers', `<h1>Developers</h1><ul>\n${list}\n</ul>`));
console.log(`built ${built.map((a) => `${a.slug} (${a.operations} operations)`).join(', ')} into docs/site/developers/`);
