// @sumeru/sdk without a platform: the transport's retry mechanics against local servers,
// and the committed generated types against the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { SumeruES, RateLimitError, InternalServerError, APITimeoutError, APIConnectionError, DEFAULT_BASE_URL } from '@sumeru/sdk';
import { localServer, json } from './helpers.mjs';

const campaign = { data: { id: 'cam_1', type: 'campaign', attributes: { name: 'x', status: 'active' }, relationships: {} } };

test('the committed generated types are what the spec generates', () => {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/gen-types.mjs', import.meta.url)), '--check'], { stdio: 'pipe' });
});

test('CommonJS build exports the same client', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('@sumeru/sdk');
  assert.equal(typeof cjs.SumeruES, 'function');
  assert.equal(new cjs.SumeruES({ apiKey: 'k', baseUrl: 'http://x/' }).baseUrl, 'http://x');
});

test('base URL: option, then SUMERU_BASE_URL, then the production default', () => {
  const saved = process.env.SUMERU_BASE_URL;
  try {
    delete process.env.SUMERU_BASE_URL;
    assert.equal(new SumeruES({ apiKey: 'k' }).baseUrl, DEFAULT_BASE_URL);
    assert.equal(DEFAULT_BASE_URL, 'https://api.sumeru.systems');
    process.env.SUMERU_BASE_URL = 'http://127.0.0.1:1/';
    assert.equal(new SumeruES({ apiKey: 'k' }).baseUrl, 'http://127.0.0.1:1');
    assert.equal(new SumeruES({ apiKey: 'k', baseUrl: 'http://o' }).baseUrl, 'http://o');
  } finally {
    if (saved === undefined) delete process.env.SUMERU_BASE_URL; else process.env.SUMERU_BASE_URL = saved;
  }
});

test('429 waits Retry-After, 5xx backs off, and a POST keeps one Idempotency-Key across attempts', async () => {
  const srv = await localServer((req, res, body, n) => {
    if (n === 1) return json(res, 429, { error: { code: 'rate_limited', message: 'slow down', details: {}, request_id: 'req_a0000001' } }, { 'retry-after': '1' });
    if (n === 2) return json(res, 503, { error: { code: 'upstream_unavailable', message: 'x', details: {}, request_id: 'req_a0000002' } });
    return json(res, 200, campaign, { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '1800000000', 'x-request-id': 'req_a0000003' });
  });
  try {
    const s = new SumeruES({ apiKey: 'copt_test_x', baseUrl: srv.url });
    const c = await s.campaigns.create({ name: 'x', channel: 'email', audience_id: 'aud_1' });
    assert.equal(c.status, 'active');
    assert.equal(srv.seen.length, 3);
    const keys = srv.seen.map((r) => r.headers['idempotency-key']);
    assert.ok(keys[0] && keys.every((k) => k === keys[0]), keys.join(','));
    assert.ok(srv.seen[1].at - srv.seen[0].at >= 950, `waited Retry-After: ${srv.seen[1].at - srv.seen[0].at} ms`);
    assert.equal(srv.seen[0].headers.authorization, 'Bearer copt_test_x');
    assert.deepEqual(JSON.parse(srv.seen[0].body), { data: { type: 'campaign', attributes: { name: 'x', channel: 'email', audience_id: 'aud_1' } } });
    assert.deepEqual(s.rateLimit, { limit: 600, remaining: 5, reset: 1800000000, policy: undefined });
    assert.equal(s.lastRequestId, 'req_a0000003');
    // A caller's key is used as given.
    await s.campaigns.launch('cam_1', { idempotencyKey: 'mine-1' });
    assert.equal(srv.seen[3].headers['idempotency-key'], 'mine-1');
    assert.equal(srv.seen[3].url, '/api/v1/campaigns/cam_1/launch');
  } finally {
    await srv.close();
  }
});

test('retries run out into typed errors; Retry-After beyond maxRetryAfter is not waited for', async () => {
  const srv = await localServer((req, res, body, n) =>
    req.url.startsWith('/api/v1/usage')
      ? json(res, 500, { error: { code: 'internal', message: 'boom', details: {}, request_id: 'req_b0000001' } })
      : json(res, 429, { error: { code: 'rate_limited', message: 'later', details: { retry_after_seconds: 3600 }, request_id: 'req_b0000002' } }, { 'retry-after': '3600' }));
  try {
    const s = new SumeruES({ apiKey: 'k', baseUrl: srv.url, maxRetries: 2 });
    const started = Date.now();
    const e = await s.usage.get().catch((x) => x);
    assert.ok(e instanceof InternalServerError && e.status === 500 && e.code === 'internal', String(e));
    assert.equal(srv.seen.length, 3);
    const r = await s.customers.get('cus_1').catch((x) => x);
    assert.ok(r instanceof RateLimitError);
    assert.equal(r.retryAfter, 3600);
    assert.equal(r.details.retry_after_seconds, 3600);
    assert.equal(srv.seen.length, 4, 'a one-hour Retry-After is not waited for');
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await srv.close();
  }
});

test('timeouts and connection errors', async () => {
  const srv = await localServer(() => {}); // never answers
  try {
    const s = new SumeruES({ apiKey: 'k', baseUrl: srv.url, timeout: 200, maxRetries: 1 });
    const e = await s.usage.get().catch((x) => x);
    assert.ok(e instanceof APITimeoutError, String(e));
    assert.equal(srv.seen.length, 2, 'the timed-out attempt was retried once');
  } finally {
    await srv.close();
  }
  const s = new SumeruES({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
  assert.ok((await s.usage.get().catch((x) => x)) instanceof APIConnectionError);
});

test('filters, sort and include are encoded as the API reads them', async () => {
  const srv = await localServer((req, res) => json(res, 200, { data: [], pagination: { has_next: false, next_cursor: null } }));
  try {
    const s = new SumeruES({ apiKey: 'k', baseUrl: srv.url });
    await s.customers.list({ filter: { lifecycle_stage: ['loyal', 'at_risk'], total_spent_min: '10.5' }, sort: ['-last_order_at', 'email'], limit: 10 }).toArray();
    await s.attribution.list({ include: 'touchpoints', filter: { date_from: '2026-05-01' } }).toArray();
    assert.equal(srv.seen[0].url, '/api/v1/customers?filter[lifecycle_stage]=loyal%2Cat_risk&filter[total_spent_min]=10.5&sort=-last_order_at%2Cemail&limit=10');
    assert.equal(srv.seen[1].url, '/api/v1/attribution?filter[date_from]=2026-05-01&include=touchpoints');
  } finally {
    await srv.close();
  }
});

test('filters and sorts are typed per operation (tsc over test/types)', () => {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', fileURLToPath(new URL('../tsconfig.test.json', import.meta.url))], { stdio: 'pipe' });
});
