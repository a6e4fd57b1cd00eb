/**
 * `@sumeru/sdk` — the Sumeru Admin API v1 client.
 *
 * ```ts
 * import { SumeruES } from '@sumeru/sdk';
 * const sumeru = new SumeruES({ apiKey: process.env.ATLANTIS_API_KEY });
 * const customer = await sumeru.customers.get('cus_abc123');
 * console.log(customer.lifecycle_stage);
 * ```
 */
export { SumeruES } from './client.js';
export * from './errors.js';
export { DEFAULT_BASE_URL, VERSION, type ClientOptions, type RateLimitInfo, type RequestOptions } from './http.js';
export { PagedList, type FilterOf, type ListParams, type Page, type Pagination, type SortKey } from './pagination.js';
export type * from './resource.js';
export type { components, operations, paths } from './generated/admin-api.js';
export { SumeruES as default } from './client.js';
