// @sumeru/sdk against a running platform (sdks/e2e/platform.sh exports the env).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SumeruES, AuthenticationError, PermissionError, NotFoundError, ConflictError, ValidationError, RateLimitError, APIError,
} from '@sumeru/sdk';
import { flakyProxy } from './helpers.mjs';

const need = ['SUMERU_BASE_URL', 'ATLANTIS_API_KEY', 'SUMERU_READONLY_API_KEY', 'SUMERU_TINY_API_KEY'];
const missing = need.filter((n) => !process.env[n]);
const opts = { skip: missing.length ? `needs a platform (${missing.join(', ')}): run through sdks/e2e/platform.sh` : false };

test('the seed snippet, verbatim', opts, async () => {
  const logged = [];
  const log = console.log;
  console.log = (...a) => logged.push(a.join(' '));
  try {
    // ---- seed 000 "SDK examples / Node.js", unchanged (base URL from SUMERU_BASE_URL) ----
    const sumeru = new SumeruES({ apiKey: process.env.ATLANTIS_API_KEY });
    const customer = await sumeru.customers.get('cus_abc123');
    console.log(customer.lifecycle_stage);
    await sumeru.campaigns.launch('cam_abc123', {
      idempotencyKey: 'launch-spring-2026-05-10',
    });
    // ---- end of the snippet ----
    assert.deepEqual(logged, ['loyal']);
    assert.equal(customer.id, 'cus_abc123');
    assert.equal(customer.type, 'customer');
    assert.equal(customer.email, 'jane@example.com');
    assert.equal(customer.attributes.lifecycle_stage, 'loyal');
    assert.equal(customer.relationships.orders.links.related, '/api/v1/customers/cus_abc123/orders');
    assert.equal(JSON.parse(JSON.stringify(customer)).attributes.email, 'jane@example.com');
    // Launching again with the same key replays the first answer instead of 409 invalid_state.
    const again = await sumeru.campaigns.launch('cam_abc123', { idempotencyKey: 'launch-spring-2026-05-10' });
    assert.equal(again.status, 'active');
    // The campaign a launch answers with is readable on its own (GET /api/v1/campaigns/{id}).
    assert.equal((await sumeru.campaigns.get('cam_abc123')).status, 'active');
    assert.equal((await sumeru.journeys.get('jrn_abc')).id, 'jrn_abc');
    assert.ok(sumeru.rateLimit.limit > 0 && sumeru.rateLimit.remaining >= 0 && sumeru.rateLimit.reset > 1.7e9, JSON.stringify(sumeru.rateLimit));
    assert.match(sumeru.lastRequestId, /^req_/);
  } finally {
    console.log = log;
  }
});

test('auto-pagination walks every page with typed filters and sort', opts, async () => {
  const sumeru = new SumeruES({ apiKey: process.env.ATLANTIS_API_KEY });
  const all = [];
  for await (const c of sumeru.customers.list({ filter: { lifecycle_stage: ['loyal', 'active'] }, sort: ['-total_spent'], limit: 7 })) {
    all.push(c);
  }
  const oneBigPage = await sumeru.customers.list({ filter: { lifecycle_stage: 'loyal,active' }, sort: '-total_spent', limit: 100 }).toArray();
  assert.ok(all.length > 14, `several pages: ${all.length}`);
  assert.equal(new Set(all.map((c) => c.id)).size, all.length, 'no duplicates across pages');
  assert.ok(all.every((c) => ['loyal', 'active'].includes(c.lifecycle_stage)));
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].total_spent >= all[i].total_spent, 'sorted across pages');
  assert.deepEqual(all.slice(0, oneBigPage.length).map((c) => c.id), oneBigPage.slice(0, all.length).map((c) => c.id));

  let pages = 0;
  for await (const page of sumeru.orders.list({ limit: 50 }).pages()) {
    pages++;
    assert.ok(page.data.length <= 50);
    if (pages === 3) break;
  }
  assert.equal(pages, 3);

  // Every other list operation answers through the SDK.
  const att = await sumeru.attribution.list({ include: 'touchpoints', limit: 3 }).firstPage();
  assert.ok(att.data.length > 0 && att.included.every((t) => t.type === 'touchpoint') && att.included.length > 0);
  const firstOf = async (list) => (await list.firstPage()).data[0];
  const journey = await firstOf(sumeru.journeys.list({ filter: { status: 'active' }, limit: 1 }));
  assert.equal(journey.type, 'journey');
  assert.equal((await firstOf(sumeru.journeys.listEnrollments('jrn_abc', { limit: 2 }))).type, 'enrollment');
  assert.equal((await firstOf(sumeru.customers.listOrders('cus_abc123'))).type, 'order');
  const product = await firstOf(sumeru.products.list({ sort: 'price', limit: 1 }));
  assert.equal((await sumeru.products.get(product.id)).sku, product.sku);
  const level = await firstOf(sumeru.inventory.list({ filter: { product_id: product.id } }));
  const [updated] = await sumeru.inventory.bulkUpdate([{ id: level.id, attributes: { available: 42 } }]);
  assert.equal(updated.available, 42);
  const run = await firstOf(sumeru.decisionIntelligence.runs.list({ limit: 1 }));
  assert.equal((await sumeru.decisionIntelligence.runs.get(run.id)).id, run.id);
  const kw = await firstOf(sumeru.seoIntelligence.keywords.list({ sort: ['position'], limit: 1 }));
  assert.equal((await sumeru.seoIntelligence.keywords.get(kw.id)).keyword, kw.keyword);
  const order = await firstOf(sumeru.orders.list({ filter: { status: 'paid' }, limit: 1 }));
  assert.equal((await sumeru.orders.get(order.id)).status, 'paid');
  assert.equal((await firstOf(sumeru.campaigns.list({ limit: 1 }))).type, 'campaign');
  const usage = await sumeru.usage.get();
  assert.equal(usage.type, 'usage');
  assert.ok(usage.requests_today > 0);
});

test('writes: create, update, and an idempotent retry after a lost answer', opts, async () => {
  const sumeru = new SumeruES({ apiKey: process.env.ATLANTIS_API_KEY });
  const aud = (await sumeru.campaigns.list({ limit: 1 }).firstPage()).data[0].relationships;
  const audienceId = aud?.audience?.data?.id;
  assert.match(audienceId, /^aud_/);
  const updated = await sumeru.customers.update('cus_abc123', { tags: ['vip', 'wholesale'] });
  assert.deepEqual(updated.tags, ['vip', 'wholesale']);
  const product = await sumeru.products.create({ title: 'SDK mug', sku: `SDK-${Date.now()}`, price: '12.50', currency: 'USD' });
  assert.equal((await sumeru.products.update(product.id, { price: 13 })).price, 13);
  const journey = await sumeru.journeys.create({ name: 'SDK welcome', trigger: 'signup', status: 'draft', steps: [{ type: 'email' }, { type: 'wait', delay_hours: 24 }] });
  assert.equal(journey.trigger, 'signup');

  // The proxy forwards the first POST to the platform but answers 502 instead of its 201:
  // the SDK retries with the same Idempotency-Key, and the platform replays the first answer.
  const proxy = await flakyProxy(process.env.SUMERU_BASE_URL, (n) => n === 1);
  try {
    const viaProxy = new SumeruES({ apiKey: process.env.ATLANTIS_API_KEY, baseUrl: proxy.url });
    const name = `SDK retry ${Date.now()}`;
    const created = await viaProxy.campaigns.create({ name, channel: 'email', audience_id: audienceId });
    assert.equal(proxy.seen.length, 2);
    const [k1, k2] = proxy.seen.map((r) => r.headers['idempotency-key']);
    assert.ok(k1 && k1 === k2, `same key on both attempts: ${k1} ${k2}`);
    const same = await sumeru.campaigns.list({ limit: 100, sort: '-created_at' }).toArray(100);
    assert.equal(same.filter((c) => c.name === name).length, 1, 'one campaign, not two');
    assert.equal(same.find((c) => c.name === name).id, created.id);
  } finally {
    await proxy.close();
  }
});

test('every typed error carries code, message, details, request_id and status', opts, async () => {
  const sumeru = new SumeruES({ apiKey: process.env.ATLANTIS_API_KEY });
  const check = async (promise, cls, status, code) => {
    const err = await promise.then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof cls, `${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof APIError);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.ok(err.message.length > 0);
    assert.match(err.request_id, /^req_/);
    assert.equal(typeof err.details, 'object');
    return err;
  };
  await check(sumeru.customers.get('cus_000000000000000000000000'), NotFoundError, 404, 'not_found');
  const v = await check(sumeru.customers.list({ limit: 500 }).firstPage(), ValidationError, 400, 'validation_failed');
  assert.equal(v.details.parameter, 'limit');
  await check(new SumeruES({ apiKey: 'copt_live_notarealkeynotarealkeynotareal' }).usage.get(), AuthenticationError, 401, 'invalid_token');
  const ro = new SumeruES({ apiKey: process.env.SUMERU_READONLY_API_KEY });
  const p = await check(ro.customers.update('cus_abc123', { note: 'x' }), PermissionError, 403, 'insufficient_scope');
  assert.equal(p.details.required_scope, 'customers:write');
  // cam_abc123 is active after the snippet's launch: launching it under a new key conflicts.
  const c = await check(sumeru.campaigns.launch('cam_abc123', { idempotencyKey: `other-${Date.now()}` }), ConflictError, 409, 'invalid_state');
  assert.equal(c.details.status, 'active');
  const tiny = new SumeruES({ apiKey: process.env.SUMERU_TINY_API_KEY, maxRetries: 0 });
  let limited;
  for (let i = 0; i < 5 && !limited; i++) {
    try { await tiny.usage.get(); } catch (e) { limited = e; }
  }
  assert.ok(limited, 'the tiny tier refused');
  await check(Promise.reject(limited), RateLimitError, 429, 'rate_limited');
  assert.ok(limited.retryAfter >= 0 && limited.retryAfter <= 2, `Retry-After ${limited.retryAfter}`);
});

test('a real 429 from the gateway is retried after Retry-After', opts, async () => {
  // The tiny tier allows 2 requests per 2 s (GCRA, no burst). Spend it until refused, then call
  // with retries on: the SDK sees the gateway's 429, waits its Retry-After and succeeds.
  const quiet = new SumeruES({ apiKey: process.env.SUMERU_TINY_API_KEY, maxRetries: 0 });
  let seen = [];
  const recording = (url, init) => fetch(url, init).then((res) => { seen.push([res.status, res.headers.get('retry-after'), Date.now()]); return res; });
  const tiny = new SumeruES({ apiKey: process.env.SUMERU_TINY_API_KEY, fetch: recording });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 10; i++) {
      if (await quiet.usage.get().then(() => false, (e) => e instanceof RateLimitError)) break;
    }
    seen = [];
    const usage = await tiny.usage.get();
    assert.equal(usage.type, 'usage');
    if (seen.length >= 2) break; // else the window refilled before the call (a slow machine): again
  }
  assert.ok(seen.length >= 2, `a 429 then a success: ${JSON.stringify(seen)}`);
  const [refused, ok] = [seen[0], seen[seen.length - 1]];
  assert.equal(refused[0], 429);
  assert.equal(ok[0], 200);
  assert.ok(Number(refused[1]) >= 1, `Retry-After: ${refused[1]}`);
  assert.ok(ok[2] - refused[2] >= Number(refused[1]) * 1000 - 50, `waited ${ok[2] - refused[2]} ms for Retry-After ${refused[1]}`);
});
