// The reference pages (make docs) served by the gateway's static site, rendered in Debian's headless
// Chromium: an operation page shows its scopes, stability, parameters and response schema.
// SDK_DOCS_SCREENSHOT=<file.png> keeps a screenshot of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const base = process.env.SUMERU_BASE_URL;
const skip = !base ? 'needs a platform: run through sdks/e2e/platform.sh' : !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : false;

test('the gateway serves the reference; an operation page renders its schema', { skip, timeout: 90_000 }, async () => {
  const index = await fetch(`${base}/developers/api/v1-admin/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /text\/html/);
  const guide = await (await fetch(`${base}/developers/api/v1-admin/guide/`)).text();
  assert.match(guide, /Idempotency/);
  const spec = await (await fetch(`${base}/developers/api/v1-admin/getCustomer/openapi.json`)).json();
  assert.deepEqual(Object.keys(spec.paths), ['/api/v1/customers/{customer_id}']);
  assert.equal((await fetch(`${process.env.SUMIDATA_BASE_URL}/developers/api/partner/`)).status, 200);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    const outside = [];
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
    await page.goto(`${base}/developers/api/v1-admin/getCustomer/#tag/customers/GET/api/v1/customers/{customer_id}`);
    await page.getByText('Responses').first().waitFor({ timeout: 20_000 });
    const text = await page.locator('body').innerText();
    for (const expected of ['Get a customer', 'customers:read', 'stable', 'customer_id', 'lifecycle_stage', '404']) {
      assert.ok(text.includes(expected), `the page shows ${expected}`);
    }
    assert.deepEqual(outside, [], 'the page loads nothing from outside');
    if (process.env.SDK_DOCS_SCREENSHOT) await page.screenshot({ path: process.env.SDK_DOCS_SCREENSHOT });
  } finally {
    await browser.close();
  }
});
