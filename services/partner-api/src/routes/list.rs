//! `GET /api/partner/{events,logs,sessions}`: one handler shape over the DSL.

use crate::{
    AppState,
    models::{events, listing, logs, sessions},
    views::{EventView, LogView, SessionView},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::Read};
use error_envelope::{ApiError, ErrorCode};
use query::PageQuery;
use serde::Serialize;
use serde_json::{Map, Value, json};

pub async fn events(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let project = state.project_of(auth.principal()).await?;
    let q = PageQuery::parse(
        &events::EVENTS,
        &query_pairs(&req)?,
        &state.config.query.page_limits(),
        "projectId",
    )?;
    let mut conn = db::conn(&state.pool).await?;
    let listed = listing::list(
        &mut conn,
        &q,
        events::sources(project),
        state.config.query.count_timeout_ms,
    )
    .await?;
    respond::<_, EventView>("events", &q, listed)
}

pub async fn logs(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let project = state.project_of(auth.principal()).await?;
    let q = PageQuery::parse(
        &logs::LOGS,
        &query_pairs(&req)?,
        &state.config.query.page_limits(),
        "projectId",
    )?;
    let mut conn = db::conn(&state.pool).await?;
    let listed = listing::list(
        &mut conn,
        &q,
        logs::sources(project),
        state.config.query.count_timeout_ms,
    )
    .await?;
    respond::<_, LogView>("logs", &q, listed)
}

pub async fn sessions(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let project = state.project_of(auth.principal()).await?;
    let q = PageQuery::parse(
        &sessions::SESSIONS,
        &query_pairs(&req)?,
        &state.config.query.page_limits(),
        "projectId",
    )?;
    let mut conn = db::conn(&state.pool).await?;
    let listed = listing::list(
        &mut conn,
        &q,
        sessions::sources(project),
        state.config.query.count_timeout_ms,
    )
    .await?;
    respond::<_, SessionView>("sessions", &q, listed)
}

/// The raw query pairs, in order and with repetitions (several `__order`s, repeated filters).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|_| {
        ApiError::bad_parameter(
            ErrorCode::InvalidQ,
            "query",
            "the query string is not valid URL encoding",
        )
    })
}

/// `{"<name>": [...], "totalCount", "page", "perPage"}` (+ `X-Total-Count-Estimated`).
fn respond<R, V>(
    name: &str,
    q: &PageQuery<'static, impl Sized, R>,
    listed: listing::Listed<R>,
) -> Result<HttpResponse, ApiError>
where
    V: From<R> + Serialize,
{
    let rows: Vec<V> = listed.rows.into_iter().map(V::from).collect();
    let mut body = Map::new();
    body.insert(name.to_owned(), serde_json::to_value(rows)?);
    body.insert("totalCount".into(), json!(listed.total));
    body.insert("page".into(), json!(q.page.page));
    body.insert("perPage".into(), json!(q.page.per_page));
    let mut res = HttpResponse::Ok();
    if !listed.total_exact {
        res.insert_header(("x-total-count-estimated", "true"));
    }
    Ok(res.json(Value::Object(body)))
}
