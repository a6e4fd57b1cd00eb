/**
 * JSON:API resources as objects: the attributes are properties
 * (`customer.lifecycle_stage`), and `id`, `type`, `attributes`,
 * `relationships` and `links` are kept as they came.
 */
import type { components } from './generated/admin-api.js';

export type Relationships = components['schemas']['Relationships'];

/** A resource object of the API. */
export interface ResourceObject<TType extends string = string, TAttrs = Record<string, unknown>> {
  id: string;
  type: TType;
  attributes: TAttrs;
  relationships?: Relationships | null;
  links?: Record<string, unknown>;
}

/** A resource as the SDK returns it: attributes spread on it, the envelope kept. */
export type Resource<TType extends string, TAttrs> = Readonly<TAttrs> & {
  readonly id: string;
  readonly type: TType;
  readonly attributes: TAttrs;
  readonly relationships: Relationships | null | undefined;
  readonly links?: Record<string, unknown>;
};

const RESERVED = new Set(['id', 'type', 'attributes', 'relationships', 'links', 'toJSON']);

/** Turns a resource object into a [`Resource`]. Attributes named like an envelope field stay under `attributes` only. */
export function toResource<TType extends string, TAttrs>(obj: ResourceObject<TType, TAttrs>): Resource<TType, TAttrs> {
  const out: Record<string, unknown> = {};
  const attrs = (obj.attributes ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(attrs)) if (!RESERVED.has(k)) out[k] = v;
  Object.defineProperties(out, {
    id: { value: obj.id, enumerable: true },
    type: { value: obj.type, enumerable: true },
    attributes: { value: attrs, enumerable: false },
    relationships: { value: obj.relationships, enumerable: false },
    links: { value: obj.links, enumerable: false },
    // JSON of a resource is the JSON:API object it came from.
    toJSON: { value: () => obj, enumerable: false },
  });
  return out as Resource<TType, TAttrs>;
}

export type Attributes<Name extends keyof components['schemas']> = components['schemas'][Name];

export type Customer = Resource<'customer', Attributes<'CustomerAttributes'>>;
export type Order = Resource<'order', Attributes<'OrderAttributes'>>;
export type Attribution = Resource<'attribution', Attributes<'AttributionAttributes'>>;
export type Touchpoint = Resource<'touchpoint', Attributes<'TouchpointAttributes'>>;
export type Campaign = Resource<'campaign', Attributes<'CampaignAttributes'>>;
export type Journey = Resource<'journey', Attributes<'JourneyAttributes'>>;
export type Enrollment = Resource<'enrollment', Attributes<'EnrollmentAttributes'>>;
export type Product = Resource<'product', Attributes<'ProductAttributes'>>;
export type InventoryLevel = Resource<'inventory_level', Attributes<'InventoryAttributes'>>;
export type DecisionRun = Resource<'decision_run', Attributes<'RunAttributes'>>;
export type SeoKeyword = Resource<'seo_keyword', Attributes<'KeywordAttributes'>>;
export type Usage = Resource<'usage', Attributes<'UsageAttributes'>>;
