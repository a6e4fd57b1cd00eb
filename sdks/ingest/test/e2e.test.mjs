// @sumidata/sdk against a running platform: events sent from Node are read back through the Partner API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sumidata } from '@sumidata/sdk';

const need = ['SUMIDATA_BASE_URL', 'SUMIDATA_API_KEY', 'SUMIDATA_PROJECT_ID'];
const missing = need.filter((n) => !process.env[n]);
const opts = { skip: missing.length ? `needs a platform (${missing.join(', ')}): run through sdks/e2e/platform.sh` : false };

export async function partnerGet(path) {
  const res = await fetch(process.env.SUMIDATA_BASE_URL + path, { headers: { authorization: `Bearer ${process.env.SUMIDATA_API_KEY}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

test('Node: tracked events, conversions and logs arrive; retried items are stored once; bad items are rejected', opts, async () => {
  const user = `node_${Date.now()}`;
  const rejected = [];
  const sumi = new Sumidata({ projectId: process.env.SUMIDATA_PROJECT_ID, source: 'backend', flushInterval: 60_000, onRejected: (r) => rejected.push(r) });
  sumi.identify(user);
  const purchaseId = sumi.track('purchase', { orderId: 'ord_node_1', totalAmount: 49.9, currency: 'usd', plan: 'pro' });
  sumi.track('signup');
  sumi.track('bad', { totalAmount: 'not a number' });
  sumi.log('error', `checkout failed for ${user}`);
  const r = await sumi.flush();
  assert.equal(r.accepted, 3, JSON.stringify(r));
  assert.equal(r.rejected, 1);
  assert.equal(rejected[0].field, 'totalAmount');
  // The same messageId again (a retry after a lost answer): a duplicate, not a second row.
  sumi.track('purchase', { orderId: 'ord_node_1', totalAmount: 49.9, currency: 'usd', plan: 'pro' }, { messageId: purchaseId });
  const again = await sumi.flush();
  assert.equal(again.duplicates, 1);

  const events = await partnerGet(`/api/partner/events?q[externalUserId__eq]=${user}&q[name__order]=asc`);
  assert.deepEqual(events.events.map((e) => e.name), ['purchase', 'signup']);
  const purchase = events.events[0];
  assert.equal(purchase.orderId, 'ord_node_1');
  assert.equal(purchase.totalAmount, 49.9);
  assert.equal(purchase.currency, 'USD');
  assert.equal(purchase.source, 'backend');
  assert.deepEqual(JSON.parse(purchase.payload), { plan: 'pro' });
  const logs = await partnerGet(`/api/partner/logs?q[message__like]=${user}`);
  assert.equal(logs.logs.length, 1);
  assert.equal(logs.logs[0].level, 'error');
  await sumi.shutdown();
});
