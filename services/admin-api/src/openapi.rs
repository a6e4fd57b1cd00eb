//! The OpenAPI 3.1 document, generated from the code: the endpoint catalog
//! ([`crate::stability::ENDPOINTS`]: method, path, scope, stability), the
//! list specs' filter/sort whitelists ([`crate::listing::ListSpec`]) and the
//! response/request types (utoipa `ToSchema`). Served at
//! `/api/v1/openapi.json`; `services/admin-api/openapi.json` is the committed
//! copy a test keeps equal (`UPDATE_OPENAPI=1 cargo nextest run -p admin-api openapi` rewrites it).

use crate::{
    listing::{DAY, MONEY},
    models,
    stability::{ENDPOINTS, Endpoint},
    views,
};
use actix_web::HttpResponse;
use query::{Kind, ListDoc};
use serde_json::{Map, Value, json};
use utoipa::{ToSchema, openapi::RefOr, openapi::schema::Schema};

/// PATCH /customers/{id}: every attribute optional; `null` clears a nullable one.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct CustomerUpdate {
    /// Unique per shop (case-insensitive); stored lowercase.
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: Option<String>,
    note: Option<String>,
    /// new | active | loyal | at_risk | churned
    lifecycle_stage: Option<String>,
    /// Replaces the tags (at most 50, 1–40 characters, duplicates dropped).
    tags: Option<Vec<String>>,
    accepts_marketing: Option<bool>,
}

/// POST /campaigns. The body may also be flat (`{"name": …, "audience_id": …}`).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct CampaignCreate {
    name: String,
    /// Required: "audience_id required for campaign creation".
    audience_id: String,
    /// email (default) | sms | push
    channel: Option<String>,
    subject: Option<String>,
    /// Future RFC 3339 instant: the campaign is created `scheduled` instead of `draft`.
    scheduled_at: Option<String>,
}

/// POST /journeys.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct JourneyCreate {
    name: String,
    /// signup | first_order | abandoned_cart | winback | birthday
    trigger: String,
    /// draft (default) | active
    status: Option<String>,
    /// At most 50 objects, each with `type` email | sms | push | wait | condition; `wait` needs `delay_hours` (1–8760).
    #[schema(value_type = Option<Vec<Object>>)]
    steps: Option<Vec<Value>>,
}

/// POST /products (title, sku, price required) and PATCH /products/{id} (all optional).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct ProductWrite {
    title: Option<String>,
    /// Unique per shop.
    sku: Option<String>,
    price: Option<crate::money::Money>,
    compare_at_price: Option<crate::money::Money>,
    /// active | draft (default) | archived
    status: Option<String>,
    /// ISO 4217, default USD.
    currency: Option<String>,
    description: Option<String>,
    vendor: Option<String>,
    product_type: Option<String>,
    tags: Option<Vec<String>>,
    /// Create only: initial stock at location `main` (default 0).
    inventory_quantity: Option<i64>,
}

/// One row of the bulk inventory PATCH: exactly one of `available` and `adjustment`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct InventoryChange {
    /// Inventory level id (`inv_…`).
    id: String,
    attributes: InventoryChangeAttributes,
}

#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct InventoryChangeAttributes {
    /// New absolute quantity (≥ 0).
    available: Option<i64>,
    /// Delta added to `available` (the result must stay ≥ 0).
    adjustment: Option<i64>,
}

/// What each catalog endpoint returns and accepts.
struct Doc {
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    /// Resource type (`customer`) and its attributes schema.
    resource: (&'static str, &'static str),
    list: Option<fn() -> ListDoc>,
    request: Option<&'static str>,
    status: u16,
}

macro_rules! doc {
    ($m:literal $p:literal, $id:literal, $sum:literal, $kind:literal => $attrs:literal, list: $list:expr, request: $req:expr, $status:literal) => {
        Doc {
            method: $m,
            path: $p,
            operation_id: $id,
            summary: $sum,
            resource: ($kind, $attrs),
            list: $list,
            request: $req,
            status: $status,
        }
    };
}

fn docs() -> Vec<Doc> {
    use models::*;
    vec![
        doc!("GET" "/api/v1/decision-intelligence/runs", "listRuns", "List decision-intelligence runs", "decision_run" => "RunAttributes", list: Some(|| analytics::RUNS.describe()), request: None, 200),
        doc!("GET" "/api/v1/decision-intelligence/runs/{run_id}", "getRun", "Get a decision-intelligence run", "decision_run" => "RunAttributes", list: None, request: None, 200),
        doc!("GET" "/api/v1/seo-intelligence/keywords", "listKeywords", "List tracked SEO keywords", "seo_keyword" => "KeywordAttributes", list: Some(|| analytics::KEYWORDS.describe()), request: None, 200),
        doc!("GET" "/api/v1/seo-intelligence/keywords/{kw_id}", "getKeyword", "Get a tracked SEO keyword", "seo_keyword" => "KeywordAttributes", list: None, request: None, 200),
        doc!("GET" "/api/v1/customers", "listCustomers", "List customers", "customer" => "CustomerAttributes", list: Some(|| customers::SPEC.describe()), request: None, 200),
        doc!("GET" "/api/v1/customers/{customer_id}", "getCustomer", "Get a customer", "customer" => "CustomerAttributes", list: None, request: None, 200),
        doc!("PATCH" "/api/v1/customers/{customer_id}", "updateCustomer", "Update a customer (tags, lifecycle stage, contact details)", "customer" => "CustomerAttributes", list: None, request: Some("CustomerUpdate"), 200),
        doc!("GET" "/api/v1/customers/{customer_id}/orders", "listCustomerOrders", "List a customer's orders", "order" => "OrderAttributes", list: Some(|| orders::SPEC.describe()), request: None, 200),
        doc!("GET" "/api/v1/orders", "listOrders", "List orders", "order" => "OrderAttributes", list: Some(|| orders::SPEC.describe()), request: None, 200),
        doc!("GET" "/api/v1/orders/{order_id}", "getOrder", "Get an order", "order" => "OrderAttributes", list: None, request: None, 200),
        doc!("GET" "/api/v1/attribution", "listAttribution", "Attributed conversions (include=touchpoints)", "attribution" => "AttributionAttributes", list: Some(|| attribution::SPEC.describe()), request: None, 200),
        doc!("GET" "/api/v1/campaigns", "listCampaigns", "List campaigns", "campaign" => "CampaignAttributes", list: Some(|| campaigns::SPEC.describe()), request: None, 200),
        doc!("POST" "/api/v1/campaigns", "createCampaign", "Create a campaign (draft, or scheduled with scheduled_at)", "campaign" => "CampaignAttributes", list: None, request: Some("CampaignCreate"), 201),
        doc!("GET" "/api/v1/campaigns/{id}", "getCampaign", "Get a campaign", "campaign" => "CampaignAttributes", list: None, request: None, 200),
        doc!("POST" "/api/v1/campaigns/{id}/launch", "launchCampaign", "Launch a draft or scheduled campaign", "campaign" => "CampaignAttributes", list: None, request: None, 200),
        doc!("GET" "/api/v1/journeys", "listJourneys", "List journeys", "journey" => "JourneyAttributes", list: Some(|| journeys::SPEC.describe()), request: None, 200),
        doc!("POST" "/api/v1/journeys", "createJourney", "Create a journey", "journey" => "JourneyAttributes", list: None, request: Some("JourneyCreate"), 201),
        doc!("GET" "/api/v1/journeys/{id}", "getJourney", "Get a journey", "journey" => "JourneyAttributes", list: None, request: None, 200),
        doc!("GET" "/api/v1/journeys/{id}/enrollments", "listEnrollments", "List a journey's enrollments", "enrollment" => "EnrollmentAttributes", list: Some(|| journeys::ENROLLMENTS.describe()), request: None, 200),
        doc!("GET" "/api/v1/products", "listProducts", "List products", "product" => "ProductAttributes", list: Some(|| products::SPEC.describe()), request: None, 200),
        doc!("POST" "/api/v1/products", "createProduct", "Create a product (with a `main` inventory level)", "product" => "ProductAttributes", list: None, request: Some("ProductWrite"), 201),
        doc!("GET" "/api/v1/products/{id}", "getProduct", "Get a product", "product" => "ProductAttributes", list: None, request: None, 200),
        doc!("PATCH" "/api/v1/products/{id}", "updateProduct", "Update a product", "product" => "ProductAttributes", list: None, request: Some("ProductWrite"), 200),
        doc!("GET" "/api/v1/inventory", "listInventory", "List inventory levels", "inventory_level" => "InventoryAttributes", list: Some(|| products::INVENTORY.describe()), request: None, 200),
        doc!("PATCH" "/api/v1/inventory", "bulkUpdateInventory", "Set or adjust inventory levels: all rows apply or none", "inventory_level" => "InventoryAttributes", list: None, request: Some("InventoryChange"), 200),
        doc!("GET" "/api/v1/usage", "getUsage", "This key's usage and rate-limit state", "usage" => "UsageAttributes", list: None, request: None, 200),
    ]
}

fn add<T: ToSchema>(schemas: &mut Map<String, Value>) {
    let mut deps: Vec<(String, RefOr<Schema>)> = Vec::new();
    T::schemas(&mut deps);
    deps.push((T::name().into_owned(), T::schema()));
    for (name, schema) in deps {
        schemas.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
}

fn component_schemas() -> Map<String, Value> {
    let mut s = Map::new();
    add::<views::customers::CustomerAttributes>(&mut s);
    add::<views::orders::OrderAttributes>(&mut s);
    add::<views::attribution::AttributionAttributes>(&mut s);
    add::<views::attribution::TouchpointAttributes>(&mut s);
    add::<views::campaigns::CampaignAttributes>(&mut s);
    add::<views::journeys::JourneyAttributes>(&mut s);
    add::<views::journeys::EnrollmentAttributes>(&mut s);
    add::<views::products::ProductAttributes>(&mut s);
    add::<views::products::InventoryAttributes>(&mut s);
    add::<views::analytics::RunAttributes>(&mut s);
    add::<views::analytics::KeywordAttributes>(&mut s);
    add::<crate::routes::usage::UsageAttributes>(&mut s);
    add::<CustomerUpdate>(&mut s);
    add::<CampaignCreate>(&mut s);
    add::<JourneyCreate>(&mut s);
    add::<ProductWrite>(&mut s);
    add::<InventoryChange>(&mut s);
    s.insert(
        "Pagination".into(),
        json!({
            "type": "object",
            "required": ["next_cursor", "has_next"],
            "properties": {
                "next_cursor": { "type": ["string", "null"], "description": "Opaque cursor of the next page (null on the last page). Valid only with the same filters and sort." },
                "has_next": { "type": "boolean" }
            }
        }),
    );
    s.insert(
        "Relationships".into(),
        json!({ "type": "object", "description": "JSON:API relationships: `data` linkage ({type, id}) and/or `links.related`.", "additionalProperties": true }),
    );
    s.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "required": ["code", "message", "details", "request_id"],
                "properties": {
                    "code": { "type": "string", "description": "Stable snake_case code", "examples": ["validation_failed"] },
                    "message": { "type": "string", "examples": ["audience_id required for campaign creation"] },
                    "details": { "type": "object", "description": "e.g. `field` (validation_failed), `required_scope` (insufficient_scope), `parameter` (invalid_cursor)", "examples": [{ "field": "audience_id" }] },
                    "request_id": { "type": "string", "description": "Equals the X-Request-Id header", "examples": ["req_abc123"] }
                }
            } }
        }),
    );
    s
}

fn resource_schema(kind: &str, attrs: &str) -> Value {
    json!({
        "type": "object",
        "required": ["id", "type", "attributes"],
        "properties": {
            "id": { "type": "string", "description": "Public id with a type prefix (cus_, ord_, cam_, …)" },
            "type": { "const": kind },
            "attributes": { "$ref": format!("#/components/schemas/{attrs}") },
            "relationships": { "$ref": "#/components/schemas/Relationships" }
        }
    })
}

fn filter_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Int => json!({ "type": "integer" }),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Custom(_, d) if *d == kind_description(&MONEY) => {
            json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$" })
        }
        Kind::Custom(_, d) if *d == kind_description(&DAY) => {
            json!({ "type": "string", "format": "date" })
        }
        Kind::Timestamp => json!({ "type": "string", "description": "RFC 3339 or YYYY-MM-DD" }),
        Kind::Enum(values) => {
            json!({ "type": "string", "description": format!("comma-separated subset of: {}", values.join(", ")) })
        }
        Kind::PrefixedText(prefix) => {
            json!({ "type": "string", "pattern": format!("^{prefix}[A-Za-z0-9_]+$") })
        }
        _ => json!({ "type": "string", "maxLength": query::value::MAX_TEXT }),
    }
}

fn kind_description(kind: &Kind) -> &'static str {
    match kind {
        Kind::Custom(_, d) => d,
        _ => "",
    }
}

fn list_parameters(spec: &ListDoc) -> Vec<Value> {
    let sorts = &spec.sorts;
    let mut params = vec![
        json!({ "name": "limit", "in": "query", "description": "Page size, 1–100 (default 25)", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 25 } }),
        json!({ "name": "cursor", "in": "query", "description": "`pagination.next_cursor` of the previous page; refused (400 invalid_cursor) if tampered with or reused with other filters or sort", "schema": { "type": "string" } }),
        json!({ "name": "sort", "in": "query", "description": format!("Comma-separated fields, `-` for descending (at most 3); ties broken by id. Fields: {}. Default: {}", sorts.join(", "), spec.default_sort), "schema": { "type": "string", "default": spec.default_sort } }),
    ];
    if !spec.includes.is_empty() {
        params.push(json!({ "name": "include", "in": "query", "description": "Related resources to add to `included`", "schema": { "type": "string", "enum": spec.includes } }));
    }
    for (name, doc, kind, _) in &spec.filters {
        params.push(json!({ "name": format!("filter[{name}]"), "in": "query", "description": doc, "schema": filter_schema(kind) }));
    }
    params
}

fn error_response(description: &str, codes: &[&str]) -> Value {
    json!({
        "description": format!("{description} (codes: {})", codes.join(", ")),
        "headers": { "X-Request-Id": { "$ref": "#/components/headers/X-Request-Id" }, "X-Sumeru-Stability": { "$ref": "#/components/headers/X-Sumeru-Stability" } },
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn operation(ep: &Endpoint, doc: &Doc) -> Value {
    let (kind, attrs) = doc.resource;
    let mut params: Vec<Value> = Vec::new();
    for segment in doc.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            params.push(json!({ "name": name, "in": "path", "required": true, "description": "Public id of the resource", "schema": { "type": "string" } }));
        }
    }
    let body = if let Some(spec) = doc.list.map(|describe| describe()) {
        params.extend(list_parameters(&spec));
        let mut body = json!({
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": { "type": "array", "items": resource_schema(kind, attrs) },
                "pagination": { "$ref": "#/components/schemas/Pagination" }
            }
        });
        if spec.includes.contains(&"touchpoints") {
            body["properties"]["included"] = json!({ "type": "array", "items": resource_schema("touchpoint", "TouchpointAttributes") });
        }
        body
    } else if ep.method == "PATCH" && doc.path == "/api/v1/inventory" {
        json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": resource_schema(kind, attrs) } } })
    } else {
        json!({ "type": "object", "required": ["data"], "properties": { "data": resource_schema(kind, attrs) } })
    };
    let write = ep.method != "GET";
    if write {
        params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "description": "Same key + same body within 24 h replays the first response (Idempotent-Replayed: true); another body → 409 idempotency_key_reused; while the first is running → 409 idempotency_key_in_use. Keys are per shop, 1–255 visible ASCII characters.", "schema": { "type": "string", "maxLength": 255 } }));
    }
    let mut success_headers = json!({
        "X-Request-Id": { "$ref": "#/components/headers/X-Request-Id" },
        "X-Sumeru-Stability": { "$ref": "#/components/headers/X-Sumeru-Stability" }
    });
    if write {
        success_headers["Idempotent-Replayed"] = json!({ "description": "`true` when this is a replay of an earlier response for the same Idempotency-Key", "schema": { "type": "string", "enum": ["true"] } });
    }
    let mut responses = Map::new();
    responses.insert(
        doc.status.to_string(),
        json!({ "description": "Success", "headers": success_headers, "content": { "application/json": { "schema": body } } }),
    );
    let mut bad_request = vec!["validation_failed"];
    if doc.list.is_some() {
        bad_request.push("invalid_cursor");
    }
    if write {
        bad_request.push("invalid_json");
    }
    responses.insert(
        "400".into(),
        error_response(
            "Invalid query parameter (`details.parameter` names it) or body field (`details.field`)",
            &bad_request,
        ),
    );
    responses.insert(
        "401".into(),
        error_response("Missing or invalid token", &["invalid_token"]),
    );
    if let Some(scope) = ep.scope {
        responses.insert(
            "403".into(),
            error_response(
                &format!("The key lacks {scope}; `details.required_scope` names it"),
                &["insufficient_scope"],
            ),
        );
    }
    if doc.path.contains('{') || (write && doc.path == "/api/v1/inventory") {
        responses.insert(
            "404".into(),
            error_response("No such resource in this shop", &["not_found"]),
        );
    }
    if write {
        let mut conflicts = vec!["idempotency_key_reused", "idempotency_key_in_use"];
        if doc.path.ends_with("/launch") {
            conflicts.push("invalid_state");
        }
        // `conflict`: a unique value taken, or data.type / data.id naming another resource.
        conflicts.push("conflict");
        responses.insert(
            "409".into(),
            error_response(
                "Conflict (`conflict` also when data.type is not this resource's or data.id not the path's; `details.field` names it)",
                &conflicts,
            ),
        );
        responses.insert(
            "415".into(),
            error_response(
                "A non-empty body without Content-Type application/json or application/vnd.api+json",
                &["unsupported_media_type"],
            ),
        );
    }
    let mut not_allowed = error_response(
        "Another method on this path; `Allow` lists the ones it answers (GET also answers HEAD)",
        &["method_not_allowed"],
    );
    not_allowed["headers"]["Allow"] =
        json!({ "description": "The methods this path answers", "schema": { "type": "string" } });
    responses.insert("405".into(), not_allowed);
    let unavailable: &[&str] = if ep.scope.is_none() {
        &["upstream_unavailable", "service_unavailable"]
    } else {
        &["service_unavailable"]
    };
    responses.insert(
        "503".into(),
        error_response("A dependency is unavailable; retry", unavailable),
    );

    let mut op = json!({
        "operationId": doc.operation_id,
        "summary": doc.summary,
        "tags": [doc.path.trim_start_matches("/api/v1/").split('/').next().unwrap_or("")],
        "parameters": params,
        "responses": responses,
        "security": [{ "bearer": ep.scope.map(|s| vec![s]).unwrap_or_default() }],
        "x-required-scope": ep.scope,
        "x-sumeru-stability": ep.stability.as_str(),
    });
    if let Some(req) = doc.request {
        let schema = if req == "InventoryChange" {
            json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "minItems": 1, "maxItems": 100, "items": { "$ref": "#/components/schemas/InventoryChange" } } } })
        } else {
            json!({ "type": "object", "properties": { "data": { "type": "object", "properties": { "type": { "const": kind }, "attributes": { "$ref": format!("#/components/schemas/{req}") } } } } })
        };
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema.clone() }, "application/vnd.api+json": { "schema": schema } } });
    }
    op
}

/// The whole document.
pub fn document() -> Value {
    let docs = docs();
    let mut paths = Map::new();
    for ep in ENDPOINTS {
        let Some(doc) = docs
            .iter()
            .find(|d| d.method == ep.method && d.path == ep.path)
        else {
            continue;
        };
        let item = paths.entry(ep.path.to_owned()).or_insert_with(|| json!({}));
        item[ep.method.to_lowercase()] = operation(ep, doc);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sumeru Admin API",
            "version": "v1 (2026.05)",
            "description": "Stable, semver-versioned programmatic admin API. Bodies follow JSON:API (data/id/type/attributes/relationships); lists are keyset-paginated with opaque cursors; money is a JSON number with two decimals. Every response carries X-Sumeru-Stability and X-Request-Id."
        },
        "servers": [{ "url": "https://api.sumeru.systems" }],
        "paths": paths,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "An admin API key (copt_live_…/copt_test_…); each operation lists the scope it requires" } },
            "headers": {
                "X-Request-Id": { "description": "Request id (req_…), also in error bodies", "schema": { "type": "string" } },
                "X-Sumeru-Stability": { "description": "Stability of the endpoint", "schema": { "type": "string", "enum": ["stable", "beta"] } }
            }
        }
    })
}

/// The document as committed in `openapi.json` (pretty, trailing newline).
pub fn pretty() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// Every catalog endpoint has its documentation entry (checked by a test).
pub fn undocumented() -> Vec<String> {
    let docs = docs();
    ENDPOINTS
        .iter()
        .filter(|ep| {
            !docs
                .iter()
                .any(|d| d.method == ep.method && d.path == ep.path)
        })
        .map(|ep| format!("{} {}", ep.method, ep.path))
        .collect()
}
