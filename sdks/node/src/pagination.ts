/** Cursor pagination: `for await (const c of sumeru.customers.list({...}))` walks every page. */
import type { components, operations } from './generated/admin-api.js';
import type { SortFields } from './generated/sort-fields.js';
import type { Query, RequestOptions, Transport } from './http.js';
import { toResource, type Resource, type ResourceObject } from './resource.js';

export type Pagination = components['schemas']['Pagination'];

type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;
type FilterValue<V> = V extends string ? V | readonly string[] : V;

/** The `filter[…]` parameters of a list operation as an object (`{ lifecycle_stage: 'loyal' }`); arrays join with commas. */
export type FilterOf<Op extends keyof operations> = {
  [K in keyof QueryOf<Op> as K extends `filter[${infer F}]` ? F : never]?: FilterValue<QueryOf<Op>[K]>;
};

/** One sort key: a field, or `-field` for descending. */
export type SortKey<Op extends keyof SortFields> = SortFields[Op] | `-${SortFields[Op]}`;

/** Arguments of a list call. */
export interface ListParams<Op extends keyof operations & keyof SortFields> {
  filter?: FilterOf<Op>;
  /** Up to 3 keys; an array or a comma-separated string. */
  sort?: SortKey<Op> | readonly SortKey<Op>[];
  /** Page size, 1–100 (default 25). */
  limit?: number;
  /** Start from this cursor (`pagination.next_cursor`). */
  cursor?: string;
}

/** One page of a list. */
export interface Page<T> {
  data: T[];
  pagination: Pagination;
  /** Compound documents (`include=…`), as resources. */
  included: Resource<string, Record<string, unknown>>[];
}

export function listQuery(params: { filter?: object; sort?: unknown; limit?: number; cursor?: string; include?: unknown } = {}): Query {
  const q: Query = {};
  for (const [k, v] of Object.entries(params.filter ?? {})) {
    if (v === undefined || v === null) continue;
    q[`filter[${k}]`] = Array.isArray(v) ? v.join(',') : (v as string | number | boolean);
  }
  if (params.sort !== undefined) q.sort = Array.isArray(params.sort) ? params.sort.join(',') : String(params.sort);
  if (params.include !== undefined) q.include = Array.isArray(params.include) ? params.include.join(',') : String(params.include);
  if (params.limit !== undefined) q.limit = params.limit;
  if (params.cursor !== undefined) q.cursor = params.cursor;
  return q;
}

/**
 * A lazily fetched list: async-iterable over every item of every page
 * (`for await`), or page by page (`pages()`, `firstPage()`).
 */
export class PagedList<T> implements AsyncIterable<T> {
  constructor(
    private readonly transport: Transport,
    private readonly path: string,
    private readonly query: Query,
    private readonly options: RequestOptions = {},
  ) {}

  /** The first page only. */
  async firstPage(): Promise<Page<T>> {
    return this.fetchPage(this.query.cursor as string | undefined);
  }

  /** Every page, following `pagination.next_cursor`. */
  async *pages(): AsyncGenerator<Page<T>> {
    let cursor = this.query.cursor as string | undefined;
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield page;
      if (!page.pagination.has_next || !page.pagination.next_cursor) return;
      cursor = page.pagination.next_cursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Collects items (all, or at most `max`). */
  async toArray(max = Infinity): Promise<T[]> {
    const out: T[] = [];
    if (max <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  }

  private async fetchPage(cursor: string | undefined): Promise<Page<T>> {
    const query = { ...this.query, cursor };
    const res = await this.transport.request<{ data: ResourceObject[]; pagination: Pagination; included?: ResourceObject[] }>(
      'GET',
      this.path,
      { ...this.options, query },
    );
    return {
      data: res.body.data.map((o) => toResource(o) as unknown as T),
      pagination: res.body.pagination,
      included: (res.body.included ?? []).map((o) => toResource(o) as Resource<string, Record<string, unknown>>),
    };
  }
}
