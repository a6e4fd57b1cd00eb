// Compile-time checks of the public types (`npm run typecheck:tests`): filters and sorts are
// typed per operation, resources expose their attributes.
import { SumeruES, type Customer, NotFoundError } from '../../src/index.js';

export async function typed(sumeru: SumeruES): Promise<void> {
  const customer: Customer = await sumeru.customers.get('cus_abc123');
  const stage: string = customer.lifecycle_stage;
  const spent: number = customer.total_spent;
  const id: string = customer.id;
  void [stage, spent, id, customer.relationships, customer.attributes.email];

  for await (const c of sumeru.customers.list({ filter: { lifecycle_stage: ['loyal', 'active'], accepts_marketing: true }, sort: ['-last_order_at', 'email'] })) {
    void c.email;
  }
  sumeru.orders.list({ filter: { status: 'paid' }, sort: '-placed_at', limit: 10 });
  // @ts-expect-error not a sortable field of customers
  sumeru.customers.list({ sort: '-placed_at' });
  // @ts-expect-error not a filter of customers
  sumeru.customers.list({ filter: { placed_after: '2026-01-01' } });
  // @ts-expect-error accepts_marketing is a boolean filter
  sumeru.customers.list({ filter: { accepts_marketing: 'yes' } });
  await sumeru.campaigns.launch('cam_abc123', { idempotencyKey: 'k' });
  // @ts-expect-error audience_id is required to create a campaign
  await sumeru.campaigns.create({ name: 'x' });
  try {
    await sumeru.products.get('prd_x');
  } catch (e) {
    if (e instanceof NotFoundError) void [e.code, e.status, e.details, e.request_id];
  }
  const limit: number | undefined = sumeru.rateLimit?.remaining;
  void limit;
}
