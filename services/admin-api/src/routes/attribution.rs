//! `GET /api/v1/attribution` (attribution:read): attributed conversions,
//! filterable by `filter[date_from]`/`filter[date_to]` (UTC days, inclusive),
//! with `include=touchpoints` adding the touchpoints to `included`.

use crate::{
    AppState, listing,
    models::attribution::{self, SPEC},
    views::{Page, Render},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::AttributionRead};
use error_envelope::ApiError;
use query::{CursorQuery, Operand};

pub async fn list(
    auth: Scoped<AttributionRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let query = CursorQuery::parse(&SPEC, req.query_string())?;
    let bound = |name: &str| {
        query
            .conditions
            .iter()
            .find(|c| c.parameter == name)
            .and_then(|c| match &c.operand {
                Operand::One(query::Value::Timestamp(t)) => Some(*t),
                _ => None,
            })
    };
    // date_to is inclusive: its bound is the next midnight.
    if let (Some(from), Some(to_next)) = (bound("filter[date_from]"), bound("filter[date_to]"))
        && from >= to_next
    {
        return Err(ApiError::bad_parameter(
            error_envelope::ErrorCode::ValidationFailed,
            "filter[date_to]",
            "filter[date_to] must not be before filter[date_from]",
        ));
    }
    let mut conn = db::conn(&state.pool).await?;
    let page = listing::load_page(
        &mut conn,
        &state.codec,
        &query,
        attribution::base(tenant),
        "",
    )
    .await?;
    let (rows, touchpoints) = attribution::with_touchpoints(&mut conn, tenant, page.rows).await?;
    let included = query
        .include
        .contains(&"touchpoints")
        .then(|| touchpoints.into_iter().map(Render::render).collect());
    Ok(HttpResponse::Ok().json(Page {
        data: rows.into_iter().map(Render::render).collect(),
        pagination: page.pagination,
        included,
    }))
}
