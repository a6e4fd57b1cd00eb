//! `GET /api/partner/{events,logs,sessions}`: one handler shape over the DSL.

use crate::{
    AppState, dsl,
    models::{events::EVENTS, listing, logs::LOGS, sessions::SESSIONS},
    views::{EventView, LogView, SessionView},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::Read};
use diesel::{QueryableByName, pg::Pg};
use error_envelope::{ApiError, ErrorCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub async fn events(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list::<crate::models::events::EventRow, EventView>(&state, &auth, &req, &EVENTS).await
}

pub async fn logs(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list::<crate::models::logs::LogRow, LogView>(&state, &auth, &req, &LOGS).await
}

pub async fn sessions(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list::<crate::models::sessions::SessionRow, SessionView>(&state, &auth, &req, &SESSIONS).await
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

async fn list<R, V>(
    state: &AppState,
    auth: &Scoped<Read>,
    req: &HttpRequest,
    resource: &'static dsl::Resource,
) -> Result<HttpResponse, ApiError>
where
    R: QueryableByName<Pg> + Send + 'static,
    V: From<R> + Serialize,
{
    let q = dsl::parse(resource, &query_pairs(req)?, &state.config.query)?;
    let project = state.project_of(auth.principal()).await?;
    let mut conn = db::conn(&state.pool).await?;
    let listed =
        listing::list::<R>(&mut conn, project, &q, state.config.query.count_timeout_ms).await?;
    let rows: Vec<V> = listed.rows.into_iter().map(V::from).collect();
    let mut body = Map::new();
    body.insert(resource.name.to_owned(), serde_json::to_value(rows)?);
    body.insert("totalCount".into(), json!(listed.total));
    body.insert("page".into(), json!(q.page.page));
    body.insert("perPage".into(), json!(q.page.per_page));
    let mut res = HttpResponse::Ok();
    if !listed.total_exact {
        res.insert_header(("x-total-count-estimated", "true"));
    }
    Ok(res.json(Value::Object(body)))
}
