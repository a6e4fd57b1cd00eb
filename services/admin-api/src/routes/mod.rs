//! HTTP routes, wired in [`configure`]. Handlers are thin: the scope is in the
//! extractor type (`Scoped<…>`), lists go through [`list`], reads by id
//! through [`get`], writes through [`write`] (idempotency + one transaction).

use crate::{
    AppState,
    listing::{self, PageSource},
    views::{Page, Render, Single},
};
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::{AsyncPgConnection, methods::LoadQuery};
use error_envelope::ApiError;
use idempotency::{Effect, KeyedRequest};
use query::{CursorQuery, ListSpec};
use uuid::Uuid;

pub mod analytics;
pub mod attribution;
pub mod campaigns;
pub mod customers;
pub mod inventory;
pub mod journeys;
pub mod orders;
pub mod products;
pub mod usage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(crate::openapi::serve))
            .route(
                "/decision-intelligence/runs",
                web::get().to(analytics::list_runs),
            )
            .route(
                "/decision-intelligence/runs/{run_id}",
                web::get().to(analytics::get_run),
            )
            .route(
                "/seo-intelligence/keywords",
                web::get().to(analytics::list_keywords),
            )
            .route(
                "/seo-intelligence/keywords/{kw_id}",
                web::get().to(analytics::get_keyword),
            )
            .route("/customers", web::get().to(customers::list))
            .route("/customers/{customer_id}", web::get().to(customers::get))
            .route(
                "/customers/{customer_id}",
                web::patch().to(customers::update),
            )
            .route(
                "/customers/{customer_id}/orders",
                web::get().to(customers::orders),
            )
            .route("/orders", web::get().to(orders::list))
            .route("/orders/{order_id}", web::get().to(orders::get))
            .route("/attribution", web::get().to(attribution::list))
            .route("/campaigns", web::get().to(campaigns::list))
            .route("/campaigns", web::post().to(campaigns::create))
            .route("/campaigns/{id}", web::get().to(campaigns::get))
            .route("/campaigns/{id}/launch", web::post().to(campaigns::launch))
            .route("/journeys", web::get().to(journeys::list))
            .route("/journeys", web::post().to(journeys::create))
            .route("/journeys/{id}", web::get().to(journeys::get))
            .route(
                "/journeys/{id}/enrollments",
                web::get().to(journeys::enrollments),
            )
            .route("/products", web::get().to(products::list))
            .route("/products", web::post().to(products::create))
            .route("/products/{id}", web::get().to(products::get))
            .route("/products/{id}", web::patch().to(products::update))
            .route("/inventory", web::get().to(inventory::list))
            .route("/inventory", web::patch().to(inventory::bulk_update))
            .route("/usage", web::get().to(usage::get)),
    );
}

/// A list endpoint: parse + validate the query, fetch one keyset page of
/// `base` (the tenant's rows, narrowed to `scope` for relationship lists), render.
pub async fn list<QS: 'static, R: Render + Send + 'static>(
    state: &AppState,
    req: &HttpRequest,
    spec: &'static ListSpec<QS, R>,
    base: impl PageSource<QS, R>,
    scope: &str,
) -> Result<HttpResponse, ApiError> {
    let query = CursorQuery::parse(spec, req.query_string())?;
    let mut conn = db::conn(&state.pool).await?;
    let page = listing::load_page(&mut conn, &state.codec, &query, base, scope).await?;
    Ok(HttpResponse::Ok().json(Page::<_, ()> {
        data: page.rows.into_iter().map(Render::render).collect(),
        pagination: page.pagination,
        included: None,
    }))
}

/// A read by id. An id without the resource's prefix cannot exist: 404 without a query.
pub async fn get<R: Render + Send + 'static>(
    state: &AppState,
    req: &HttpRequest,
    resource: &str,
    prefix: &str,
    id: &str,
    by_id: impl LoadQuery<'static, AsyncPgConnection, R> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    listing::no_query(req.query_string())?;
    if !id.starts_with(prefix) {
        return Err(ApiError::not_found(resource));
    }
    let mut conn = db::conn(&state.pool).await?;
    let row: R = listing::find(&mut conn, resource, by_id).await?;
    Ok(HttpResponse::Ok().json(Single { data: row.render() }))
}

/// A write: refuses query parameters and non-JSON bodies (415), honours `Idempotency-Key`, runs `effect` in one transaction.
pub async fn write<F>(
    state: &AppState,
    req: &HttpRequest,
    tenant: Uuid,
    body: &[u8],
    effect: F,
) -> Result<HttpResponse, ApiError>
where
    F: for<'c> FnOnce(&'c mut diesel_async::AsyncPgConnection) -> Effect<'c>,
{
    listing::no_query(req.query_string())?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        error_envelope::require_media_type(req, error_envelope::JSON_MEDIA_TYPES)?;
    }
    let keyed = KeyedRequest::from_http(req, tenant, body)?;
    let mut conn = db::conn(&state.pool).await?;
    idempotency::execute(&mut conn, keyed, effect).await
}

/// Maps a query error inside a write: unique violations on `field` → 409 `conflict`.
pub fn write_error(
    resource: &'static str,
    field: &'static str,
) -> impl Fn(diesel::result::Error) -> ApiError {
    move |e| {
        if crate::writes::is_unique_violation(&e) {
            ApiError::from_code(
                error_envelope::ErrorCode::Conflict,
                format!("another {resource} already has this {field}"),
            )
            .with_details(serde_json::json!({ "field": field }))
        } else {
            ApiError::internal(e)
        }
    }
}
