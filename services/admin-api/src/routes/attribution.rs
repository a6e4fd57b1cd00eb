//! `GET /api/v1/attribution` (attribution:read): attributed conversions,
//! filterable by `filter[date_from]`/`filter[date_to]` (UTC days, inclusive),
//! with `include=touchpoints` adding the touchpoints to `included`.

use crate::{
    AppState,
    listing::{self, ListQuery},
    models::attribution::{AttributionRow, SPEC, touchpoints_of},
    views::{Page, Render},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::AttributionRead};
use error_envelope::ApiError;

pub async fn list(
    auth: Scoped<AttributionRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let query = ListQuery::parse(&SPEC, req.query_string())?;
    if let (Some(from), Some(to)) = (
        query.filters.iter().find(|(f, _)| f.name == "date_from"),
        query.filters.iter().find(|(f, _)| f.name == "date_to"),
    ) && from.1 > to.1
    {
        return Err(ApiError::validation(
            "filter[date_to]",
            "filter[date_to] must not be before filter[date_from]",
        ));
    }
    let mut conn = db::conn(&state.pool).await?;
    let page =
        listing::fetch_page::<AttributionRow>(&mut conn, &SPEC, tenant, &[], &query, &state.codec)
            .await?;
    let included = if query.include.contains(&"touchpoints") {
        let ids = page.rows.iter().map(|r| r.id.clone()).collect();
        let touchpoints = touchpoints_of(&mut conn, tenant, ids).await?;
        Some(touchpoints.into_iter().map(Render::render).collect())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page {
        data: page.rows.into_iter().map(Render::render).collect(),
        pagination: page.pagination,
        included,
    }))
}
