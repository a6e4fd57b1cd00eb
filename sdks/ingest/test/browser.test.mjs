// @sumidata/sdk in a real browser: Debian's headless Chromium (driven by playwright-core, no
// browser download) loads a page that uses the built bundle, tracks events, goes offline and
// back, hides the page (sendBeacon), and the test reads the events back through the Partner API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const bundle = fileURLToPath(new URL('../dist/browser/sumidata.min.js', import.meta.url));
const need = ['SUMIDATA_BASE_URL', 'SUMIDATA_API_KEY', 'SUMIDATA_PROJECT_ID'];
const missing = need.filter((n) => !process.env[n]);
const skip = missing.length
  ? `needs a platform (${missing.join(', ')}): run through sdks/e2e/platform.sh`
  : !existsSync(CHROMIUM)
    ? `no ${CHROMIUM} (make sdks-setup installs Debian's chromium)`
    : false;

const page = (projectId) => `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script src="/sumidata.min.js"></script></head><body><h1>shop</h1>
<script>
  window.sumi = Sumidata.init({ projectId: ${JSON.stringify(projectId)}, baseUrl: location.origin, flushInterval: 60000 });
</script></body></html>`;

/** The site: the page, the bundle, and /sdk/ingest passed through to the platform (same origin). */
async function site() {
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/sdk/ingest')) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        const up = await fetch(process.env.SUMIDATA_BASE_URL + '/sdk/ingest', {
          method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? 'text/plain', 'x-forwarded-for': '127.0.0.1' }, body,
        });
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end(await up.text());
      });
      return;
    }
    if (req.url === '/sumidata.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(readFileSync(bundle));
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page(process.env.SUMIDATA_PROJECT_ID));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

async function partnerGet(path) {
  const res = await fetch(process.env.SUMIDATA_BASE_URL + path, { headers: { authorization: `Bearer ${process.env.SUMIDATA_API_KEY}` } });
  assert.equal(res.status, 200);
  return res.json();
}

async function eventually(fn, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test('browser: batching, offline queue flushed on reconnect, sendBeacon on page hide, session and UTM capture', { skip, timeout: 120_000 }, async () => {
  const s = await site();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const user = `browser_${Date.now()}`;
    await tab.goto(`${s.url}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=sdk-test`, { referer: 'https://search.example/' });
    const first = await tab.evaluate(async (user) => {
      sumi.identify(user);
      sumi.track('page_view');
      sumi.track('purchase', { orderId: 'ord_browser_1', totalAmount: 19.99, currency: 'EUR', color: 'red' });
      return sumi.flush();
    }, user);
    assert.equal(first.accepted, 2, JSON.stringify(first));

    // Offline: tracked events stay queued in localStorage; back online, the SDK flushes them by itself.
    await context.setOffline(true);
    const offline = await tab.evaluate(async () => {
      sumi.track('offline_1');
      sumi.track('offline_2');
      const r = await sumi.flush();
      return { r, onLine: navigator.onLine, stored: JSON.parse(localStorage.getItem(`sumidata:${sumi.projectId}:queue`)).length };
    });
    assert.equal(offline.onLine, false);
    assert.equal(offline.r.pending, 2);
    assert.equal(offline.stored, 2);
    await context.setOffline(false);
    await tab.waitForFunction(() => sumi.pending === 0, null, { timeout: 15_000 });

    // Page hide: the queued event leaves with navigator.sendBeacon.
    await tab.evaluate(() => sumi.track('before_hide'));
    await tab.goto('about:blank');

    const events = await eventually(async () => {
      const got = await partnerGet(`/api/partner/events?q[externalUserId__eq]=${user}&q[perPage]=50`);
      assert.equal(got.events.length, 5, JSON.stringify(got.events.map((e) => e.name)));
      return got.events;
    });
    assert.deepEqual(events.map((e) => e.name).sort(), ['before_hide', 'offline_1', 'offline_2', 'page_view', 'purchase']);
    const purchase = events.find((e) => e.name === 'purchase');
    assert.equal(purchase.orderId, 'ord_browser_1');
    assert.equal(purchase.totalAmount, 19.99);
    assert.equal(purchase.utmSource, 'newsletter');
    assert.deepEqual(JSON.parse(purchase.payload), { color: 'red' });
    assert.equal(purchase.browser, 'Chrome');
    assert.equal(purchase.platform, 'Linux');
    assert.ok(purchase.url.startsWith(`${s.url}/landing`));
    const sessionIds = new Set(events.map((e) => e.sessionId));
    assert.equal(sessionIds.size, 1, 'one session');

    const sessions = await partnerGet(`/api/partner/sessions?q[externalUserId__eq]=${user}`);
    assert.equal(sessions.sessions.length, 1);
    const session = sessions.sessions[0];
    assert.equal(session.utmSource, 'newsletter');
    assert.equal(session.utmMedium, 'email');
    assert.equal(session.utmCampaign, 'sdk-test');
    assert.equal(session.referrer, 'https://search.example/');
    assert.ok(session.landingPage.includes('utm_campaign=sdk-test'));
    assert.equal(session.browser, 'Chrome');
    assert.equal(session.id.replace(/^ses_/, ''), [...sessionIds][0].replace(/-/g, ''));
  } finally {
    await browser.close();
    await s.close();
  }
});
