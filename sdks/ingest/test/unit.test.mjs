// @sumidata/sdk in Node against a local server standing in for POST /sdk/ingest (no platform needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Sumidata, CONVERSION_FIELDS } from '@sumidata/sdk';

async function ingestServer(answer) {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body);
      seen.push({ body: parsed, at: Date.now(), headers: req.headers });
      const [status, out, headers] = answer(parsed, seen.length);
      res.writeHead(status, { 'content-type': 'application/json', ...(headers ?? {}) });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

const allAccepted = (b) => [200, {
  accepted: b.events.length + b.logs.length, duplicates: 0, rejected: 0,
  events: b.events.map((_, index) => ({ index, status: 'accepted', id: `evt_${index}` })),
  logs: b.logs.map((_, index) => ({ index, status: 'accepted', id: `log_${index}` })),
  session: b.session ? { status: 'accepted', id: 'ses_1' } : null,
}];

function memoryStorage() {
  const m = new Map();
  return { m, getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) };
}

test('batches by size, with a messageId per item, sentAt, and conversion fields as columns', async () => {
  const srv = await ingestServer(allAccepted);
  try {
    const sumi = new Sumidata({ projectId: 'proj_x', baseUrl: srv.url, batchSize: 3, flushInterval: 60_000, storage: null });
    sumi.identify('user_1');
    sumi.track('purchase', { orderId: 'ord_1', totalAmount: 49.9, currency: 'USD', productId: 'p1', utmSource: 'g', plan: 'pro' });
    sumi.track('page_view');
    assert.equal(srv.seen.length, 0, 'below batchSize: nothing sent yet');
    sumi.log('error', 'boom');
    await sumi.flush();
    assert.equal(srv.seen.length, 1);
    const b = srv.seen[0].body;
    assert.equal(b.projectId, 'proj_x');
    assert.ok(Math.abs(Date.parse(b.sentAt) - Date.now()) < 5000);
    assert.equal(b.events.length, 2);
    assert.equal(b.logs.length, 1);
    const [purchase, view] = b.events;
    for (const f of ['orderId', 'totalAmount', 'currency', 'productId', 'utmSource']) assert.ok(f in purchase, f);
    assert.deepEqual(purchase.payload, { plan: 'pro' });
    assert.equal(purchase.externalUserId, 'user_1');
    assert.equal(view.payload, undefined);
    const ids = [...b.events, ...b.logs].map((i) => i.messageId);
    assert.equal(new Set(ids).size, 3);
    assert.ok(ids.every((id) => /^[0-9a-f-]{36}$/.test(id)));
    assert.equal(sumi.pending, 0);
    assert.deepEqual(CONVERSION_FIELDS, ['orderId', 'totalAmount', 'currency', 'productId', 'utmSource', 'utmMedium', 'utmCampaign']);
  } finally {
    await srv.close();
  }
});

test('batches by time', async () => {
  const srv = await ingestServer(allAccepted);
  try {
    const sumi = new Sumidata({ projectId: 'proj_x', baseUrl: srv.url, batchSize: 100, flushInterval: 150, storage: null });
    sumi.track('a');
    sumi.track('b');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(srv.seen.length, 1);
    assert.deepEqual(srv.seen[0].body.events.map((e) => e.name), ['a', 'b']);
    await sumi.shutdown();
  } finally {
    await srv.close();
  }
});

test('retries 5xx/429 with backoff keeping the same messageIds; per-item rejections are reported, not resent', async () => {
  const srv = await ingestServer((b, n) => {
    if (n === 1) return [503, { error: { code: 'upstream_unavailable', message: 'x' } }];
    if (n === 2) return [429, { error: { code: 'rate_limited', message: 'x' } }, { 'retry-after': '1' }];
    return [200, {
      accepted: 1, duplicates: 0, rejected: 1,
      events: [{ index: 0, status: 'accepted', id: 'evt_1' }, { index: 1, status: 'rejected', code: 'validation_failed', field: 'name', message: 'name too long' }],
      logs: [], session: null,
    }];
  });
  try {
    const rejected = [];
    const storage = memoryStorage();
    const sumi = new Sumidata({ projectId: 'proj_x', baseUrl: srv.url, flushInterval: 60_000, storage, onRejected: (r) => rejected.push(r) });
    sumi.track('ok');
    sumi.track('x'.repeat(300));
    assert.equal(JSON.parse(storage.getItem('sumidata:proj_x:queue')).length, 2, 'the queue is persisted');
    const r = await sumi.flush();
    assert.equal(srv.seen.length, 3);
    const idsOf = (s) => s.body.events.map((e) => e.messageId).join();
    assert.equal(idsOf(srv.seen[0]), idsOf(srv.seen[2]), 'the same items, the same ids, on every attempt');
    assert.ok(srv.seen[2].at - srv.seen[1].at >= 950, 'Retry-After honoured');
    assert.deepEqual(r, { sent: 2, accepted: 1, duplicates: 0, rejected: 1, pending: 0 });
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].field, 'name');
    assert.equal(rejected[0].item.name.length, 300);
    assert.equal(JSON.parse(storage.getItem('sumidata:proj_x:queue')).length, 0);
    await sumi.flush();
    assert.equal(srv.seen.length, 3, 'nothing left to resend');
  } finally {
    await srv.close();
  }
});

test('a queue left by an earlier run is sent by the next one; 413 halves the batch', async () => {
  const srv = await ingestServer((b) => (b.events.length > 2 ? [413, { error: { code: 'payload_too_large', message: 'x' } }] : allAccepted(b)));
  try {
    const storage = memoryStorage();
    const first = new Sumidata({ projectId: 'proj_y', baseUrl: 'http://127.0.0.1:9', flushInterval: 60_000, storage, maxRetries: 0 });
    for (let i = 0; i < 5; i++) first.track(`e${i}`);
    const r1 = await first.flush();
    assert.equal(r1.pending, 5, 'unreachable: everything stays queued');
    await first.shutdown().catch(() => {});
    const second = new Sumidata({ projectId: 'proj_y', baseUrl: srv.url, flushInterval: 60_000, storage });
    assert.equal(second.pending, 5);
    const r2 = await second.flush();
    assert.equal(r2.pending, 0);
    const names = srv.seen.filter((s) => s.body.events.length <= 2).flatMap((s) => s.body.events.map((e) => e.name));
    assert.deepEqual(names, ['e0', 'e1', 'e2', 'e3', 'e4']);
    await second.shutdown();
  } finally {
    await srv.close();
  }
});
