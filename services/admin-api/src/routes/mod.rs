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

/// Every path is one `web::resource`: a method it does not answer is 405 with
/// `Allow`, and every GET also answers HEAD.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use error_envelope::get_or_head as read;
    cfg.service(
        web::scope("/api/v1")
            .service(web::resource("/openapi.json").route(read().to(crate::openapi::serve)))
            .service(
                web::resource("/decision-intelligence/runs").route(read().to(analytics::list_runs)),
            )
            .service(
                web::resource("/decision-intelligence/runs/{run_id}")
                    .route(read().to(analytics::get_run)),
            )
            .service(
                web::resource("/seo-intelligence/keywords")
                    .route(read().to(analytics::list_keywords)),
            )
            .service(
                web::resource("/seo-intelligence/keywords/{kw_id}")
                    .route(read().to(analytics::get_keyword)),
            )
            .service(web::resource("/customers").route(read().to(customers::list)))
            .service(
                web::resource("/customers/{customer_id}")
                    .route(read().to(customers::get))
                    .route(web::patch().to(customers::update)),
            )
            .service(
                web::resource("/customers/{customer_id}/orders")
                    .route(read().to(customers::orders)),
            )
            .service(web::resource("/orders").route(read().to(orders::list)))
            .service(web::resource("/orders/{order_id}").route(read().to(orders::get)))
            .service(web::resource("/attribution").route(read().to(attribution::list)))
            .service(
                web::resource("/campaigns")
                    .route(read().to(campaigns::list))
                    .route(web::post().to(campaigns::create)),
            )
            .service(web::resource("/campaigns/{id}").route(read().to(campaigns::get)))
            .service(
                web::resource("/campaigns/{id}/launch").route(web::post().to(campaigns::launch)),
            )
            .service(
                web::resource("/journeys")
                    .route(read().to(journeys::list))
                    .route(web::post().to(journeys::create)),
            )
            .service(web::resource("/journeys/{id}").route(read().to(journeys::get)))
            .service(
                web::resource("/journeys/{id}/enrollments").route(read().to(journeys::enrollments)),
            )
            .service(
                web::resource("/products")
                    .route(read().to(products::list))
                    .route(web::post().to(products::create)),
            )
            .service(
                web::resource("/products/{id}")
                    .route(read().to(products::get))
                    .route(web::patch().to(products::update)),
            )
            .service(
                web::resource("/inventory")
                    .route(read().to(inventory::list))
                    .route(web::patch().to(inventory::bulk_update)),
            )
            .service(web::resource("/usage").route(read().to(usage::get))),
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
