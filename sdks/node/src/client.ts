/** `SumeruES`: the Admin API client, one resource namespace per part of the API. */
import type { components } from './generated/admin-api.js';
import { Transport, type ClientOptions, type RateLimitInfo, type RequestOptions } from './http.js';
import { listQuery, PagedList, type ListParams } from './pagination.js';
import {
  toResource,
  type Attribution,
  type Campaign,
  type Customer,
  type DecisionRun,
  type Enrollment,
  type InventoryLevel,
  type Journey,
  type Order,
  type Product,
  type Resource,
  type ResourceObject,
  type SeoKeyword,
  type Usage,
} from './resource.js';

type Schemas = components['schemas'];

const seg = (id: string) => encodeURIComponent(id);

abstract class Namespace {
  constructor(protected readonly t: Transport) {}

  protected async one<T>(method: string, path: string, init: { body?: unknown } & RequestOptions = {}): Promise<T> {
    const res = await this.t.request<{ data: ResourceObject }>(method, path, init);
    return toResource(res.body.data) as unknown as T;
  }

  protected paged<T>(path: string, params: object | undefined, opts?: RequestOptions): PagedList<T> {
    return new PagedList<T>(this.t, path, listQuery(params as Parameters<typeof listQuery>[0]), opts);
  }
}

/** Wraps write attributes in a JSON:API document. */
const doc = (type: string, attributes: object) => ({ data: { type, attributes } });

export class Customers extends Namespace {
  /** `GET /api/v1/customers` (customers:read). */
  list(params?: ListParams<'listCustomers'>, opts?: RequestOptions): PagedList<Customer> {
    return this.paged('/api/v1/customers', params, opts);
  }
  /** `GET /api/v1/customers/{customer_id}` (customers:read). */
  get(id: string, opts?: RequestOptions): Promise<Customer> {
    return this.one('GET', `/api/v1/customers/${seg(id)}`, opts);
  }
  /** `PATCH /api/v1/customers/{customer_id}` (customers:write): only the attributes given change; `null` clears. */
  update(id: string, attributes: Schemas['CustomerUpdate'], opts?: RequestOptions): Promise<Customer> {
    return this.one('PATCH', `/api/v1/customers/${seg(id)}`, { ...opts, body: doc('customer', attributes) });
  }
  /** `GET /api/v1/customers/{customer_id}/orders` (orders:read). */
  listOrders(id: string, params?: ListParams<'listCustomerOrders'>, opts?: RequestOptions): PagedList<Order> {
    return this.paged(`/api/v1/customers/${seg(id)}/orders`, params, opts);
  }
}

export class Orders extends Namespace {
  /** `GET /api/v1/orders` (orders:read). */
  list(params?: ListParams<'listOrders'>, opts?: RequestOptions): PagedList<Order> {
    return this.paged('/api/v1/orders', params, opts);
  }
  /** `GET /api/v1/orders/{order_id}` (orders:read). */
  get(id: string, opts?: RequestOptions): Promise<Order> {
    return this.one('GET', `/api/v1/orders/${seg(id)}`, opts);
  }
}

export class AttributionApi extends Namespace {
  /** `GET /api/v1/attribution` (attribution:read); `include: 'touchpoints'` fills each page's `included`. */
  list(params?: ListParams<'listAttribution'> & { include?: 'touchpoints' }, opts?: RequestOptions): PagedList<Attribution> {
    return this.paged('/api/v1/attribution', params, opts);
  }
}

export class Campaigns extends Namespace {
  /** `GET /api/v1/campaigns` (campaigns:read). */
  list(params?: ListParams<'listCampaigns'>, opts?: RequestOptions): PagedList<Campaign> {
    return this.paged('/api/v1/campaigns', params, opts);
  }
  /** `GET /api/v1/campaigns/{id}` (campaigns:read). */
  get(id: string, opts?: RequestOptions): Promise<Campaign> {
    return this.one('GET', `/api/v1/campaigns/${seg(id)}`, opts);
  }
  /** `POST /api/v1/campaigns` (campaigns:write). */
  create(attributes: Schemas['CampaignCreate'], opts?: RequestOptions): Promise<Campaign> {
    return this.one('POST', '/api/v1/campaigns', { ...opts, body: doc('campaign', attributes) });
  }
  /** `POST /api/v1/campaigns/{id}/launch` (campaigns:write): `draft`/`scheduled` → `active`. */
  launch(id: string, opts?: RequestOptions): Promise<Campaign> {
    return this.one('POST', `/api/v1/campaigns/${seg(id)}/launch`, opts);
  }
}

export class Journeys extends Namespace {
  /** `GET /api/v1/journeys` (journeys:read). */
  list(params?: ListParams<'listJourneys'>, opts?: RequestOptions): PagedList<Journey> {
    return this.paged('/api/v1/journeys', params, opts);
  }
  /** `GET /api/v1/journeys/{id}` (journeys:read). */
  get(id: string, opts?: RequestOptions): Promise<Journey> {
    return this.one('GET', `/api/v1/journeys/${seg(id)}`, opts);
  }
  /** `POST /api/v1/journeys` (journeys:write). */
  create(attributes: Schemas['JourneyCreate'], opts?: RequestOptions): Promise<Journey> {
    return this.one('POST', '/api/v1/journeys', { ...opts, body: doc('journey', attributes) });
  }
  /** `GET /api/v1/journeys/{id}/enrollments` (journeys:read). */
  listEnrollments(id: string, params?: ListParams<'listEnrollments'>, opts?: RequestOptions): PagedList<Enrollment> {
    return this.paged(`/api/v1/journeys/${seg(id)}/enrollments`, params, opts);
  }
}

export class Products extends Namespace {
  /** `GET /api/v1/products` (products:read). */
  list(params?: ListParams<'listProducts'>, opts?: RequestOptions): PagedList<Product> {
    return this.paged('/api/v1/products', params, opts);
  }
  /** `GET /api/v1/products/{id}` (products:read). */
  get(id: string, opts?: RequestOptions): Promise<Product> {
    return this.one('GET', `/api/v1/products/${seg(id)}`, opts);
  }
  /** `POST /api/v1/products` (products:write). */
  create(attributes: Schemas['ProductWrite'], opts?: RequestOptions): Promise<Product> {
    return this.one('POST', '/api/v1/products', { ...opts, body: doc('product', attributes) });
  }
  /** `PATCH /api/v1/products/{id}` (products:write). */
  update(id: string, attributes: Schemas['ProductWrite'], opts?: RequestOptions): Promise<Product> {
    return this.one('PATCH', `/api/v1/products/${seg(id)}`, { ...opts, body: doc('product', attributes) });
  }
}

export class Inventory extends Namespace {
  /** `GET /api/v1/inventory` (products:read). */
  list(params?: ListParams<'listInventory'>, opts?: RequestOptions): PagedList<InventoryLevel> {
    return this.paged('/api/v1/inventory', params, opts);
  }
  /** `PATCH /api/v1/inventory` (products:write): 1–100 changes, all or nothing; the updated levels in request order. */
  async bulkUpdate(changes: Schemas['InventoryChange'][], opts?: RequestOptions): Promise<InventoryLevel[]> {
    const res = await this.t.request<{ data: ResourceObject[] }>('PATCH', '/api/v1/inventory', {
      ...opts,
      body: { data: changes },
    });
    return res.body.data.map((o) => toResource(o) as unknown as InventoryLevel);
  }
}

export class DecisionRuns extends Namespace {
  /** `GET /api/v1/decision-intelligence/runs` (analytics:read). */
  list(params?: ListParams<'listRuns'>, opts?: RequestOptions): PagedList<DecisionRun> {
    return this.paged('/api/v1/decision-intelligence/runs', params, opts);
  }
  /** `GET /api/v1/decision-intelligence/runs/{run_id}` (analytics:read). */
  get(id: string, opts?: RequestOptions): Promise<DecisionRun> {
    return this.one('GET', `/api/v1/decision-intelligence/runs/${seg(id)}`, opts);
  }
}

export class SeoKeywords extends Namespace {
  /** `GET /api/v1/seo-intelligence/keywords` (analytics:read). */
  list(params?: ListParams<'listKeywords'>, opts?: RequestOptions): PagedList<SeoKeyword> {
    return this.paged('/api/v1/seo-intelligence/keywords', params, opts);
  }
  /** `GET /api/v1/seo-intelligence/keywords/{kw_id}` (analytics:read). */
  get(id: string, opts?: RequestOptions): Promise<SeoKeyword> {
    return this.one('GET', `/api/v1/seo-intelligence/keywords/${seg(id)}`, opts);
  }
}

export class UsageApi extends Namespace {
  /** `GET /api/v1/usage` (any valid key): this key's counters and current window. */
  get(opts?: RequestOptions): Promise<Usage> {
    return this.one('GET', '/api/v1/usage', opts);
  }
}

/** The Sumeru Admin API v1 client. */
export class SumeruES {
  readonly customers: Customers;
  readonly orders: Orders;
  readonly attribution: AttributionApi;
  readonly campaigns: Campaigns;
  readonly journeys: Journeys;
  readonly products: Products;
  readonly inventory: Inventory;
  readonly decisionIntelligence: { readonly runs: DecisionRuns };
  readonly seoIntelligence: { readonly keywords: SeoKeywords };
  readonly usage: UsageApi;
  private readonly transport: Transport;

  constructor(options: ClientOptions = {}) {
    const t = (this.transport = new Transport(options));
    this.customers = new Customers(t);
    this.orders = new Orders(t);
    this.attribution = new AttributionApi(t);
    this.campaigns = new Campaigns(t);
    this.journeys = new Journeys(t);
    this.products = new Products(t);
    this.inventory = new Inventory(t);
    this.decisionIntelligence = { runs: new DecisionRuns(t) };
    this.seoIntelligence = { keywords: new SeoKeywords(t) };
    this.usage = new UsageApi(t);
  }

  /** The base URL in use. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Rate-limit state (`X-RateLimit-*`) of the last response that carried it. */
  get rateLimit(): RateLimitInfo | undefined {
    return this.transport.lastRateLimit;
  }

  /** `X-Request-Id` of the last response. */
  get lastRequestId(): string | undefined {
    return this.transport.lastRequestId;
  }
}

export type { Resource };
