//! `GET /api/v1/inventory` (products:read) and the bulk `PATCH /api/v1/inventory`
//! (products:write): every row applies, or none does (one transaction).
//!
//! Bulk body: `{"data":[{"id":"inv_…","attributes":{"available":12}},
//! {"id":"inv_…","attributes":{"adjustment":-3}}]}` — 1 to 100 rows, each
//! setting `available` or adding `adjustment` (the result must stay ≥ 0).

use crate::{
    AppState,
    body::json_object,
    ids,
    models::products::{self, INVENTORY, apply_inventory},
    views::Render,
    writes::is_check_violation,
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{
    extract::Scoped,
    scopes::{ProductsRead, ProductsWrite},
};
use error_envelope::ApiError;
use idempotency::Reply;
use serde_json::{Value, json};

pub const MAX_ROWS: usize = 100;

pub async fn list(
    auth: Scoped<ProductsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &INVENTORY, products::inventory(tenant), "").await
}

#[derive(Debug)]
struct Change {
    id: String,
    absolute: Option<i64>,
    delta: Option<i64>,
}

fn changes(body: &[u8]) -> Result<Vec<Change>, ApiError> {
    let mut top = json_object(body)?;
    let Some(Value::Array(rows)) = top.remove("data") else {
        return Err(ApiError::validation(
            "data",
            "data must be an array of inventory level changes",
        ));
    };
    if let Some(k) = top.keys().next() {
        return Err(ApiError::validation(
            k,
            format!("unknown member {k} beside data"),
        ));
    }
    if rows.is_empty() || rows.len() > MAX_ROWS {
        return Err(ApiError::validation(
            "data",
            format!("data must hold 1 to {MAX_ROWS} changes"),
        ));
    }
    let mut out: Vec<Change> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let field = |f: &str| format!("data[{i}].{f}");
        if let Some(t) = row.get("type")
            && t.as_str() != Some("inventory_level")
        {
            let f = field("type");
            return Err(crate::body::identity_conflict(
                &f,
                format!("{f} must be inventory_level for this endpoint"),
                "inventory_level",
            ));
        }
        let id = row
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if !id.starts_with(ids::INVENTORY) {
            return Err(ApiError::validation(
                &field("id"),
                format!("{} must be an inventory level id (inv_…)", field("id")),
            ));
        }
        if out.iter().any(|c| c.id == id) {
            return Err(ApiError::validation(
                &field("id"),
                format!("{id} appears more than once"),
            ));
        }
        let attrs = row
            .get("attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(k) = attrs
            .keys()
            .find(|k| !["available", "adjustment"].contains(&k.as_str()))
        {
            let f = field(&format!("attributes.{k}"));
            return Err(ApiError::validation(
                &f,
                format!("{f} is not writable; use available or adjustment"),
            ));
        }
        let absolute = attrs
            .get("available")
            .map(|v| v.as_i64().filter(|n| (0..=1_000_000_000).contains(n)));
        let delta = attrs
            .get("adjustment")
            .map(|v| v.as_i64().filter(|n| n.abs() <= 1_000_000_000));
        let change = match (absolute, delta) {
            (Some(Some(a)), None) => Change {
                id,
                absolute: Some(a),
                delta: None,
            },
            (None, Some(Some(d))) => Change {
                id,
                absolute: None,
                delta: Some(d),
            },
            (Some(None), _) => {
                let f = field("attributes.available");
                return Err(ApiError::validation(
                    &f,
                    format!("{f} must be an integer from 0 to 1000000000"),
                ));
            }
            (_, Some(None)) => {
                let f = field("attributes.adjustment");
                return Err(ApiError::validation(&f, format!("{f} must be an integer")));
            }
            _ => {
                let f = field("attributes");
                return Err(ApiError::validation(
                    &f,
                    format!("{f} must set exactly one of available or adjustment"),
                ));
            }
        };
        out.push(change);
    }
    Ok(out)
}

pub async fn bulk_update(
    auth: Scoped<ProductsWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let changes = changes(&body);
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            let changes = changes?;
            // Rows are updated in id order (concurrent bulk updates lock in the same
            // order, so they queue instead of deadlocking); the answer keeps request order.
            let mut order: Vec<usize> = (0..changes.len()).collect();
            order.sort_by(|a, b| changes[*a].id.cmp(&changes[*b].id));
            let mut updated: Vec<Option<_>> = (0..changes.len()).map(|_| None).collect();
            for i in order {
                let c = &changes[i];
                match apply_inventory(conn, tenant, &c.id, c.absolute, c.delta).await {
                    Ok(0) => {
                        return Err(ApiError::not_found("inventory level").with_details(
                            json!({ "field": format!("data[{i}].id"), "id": c.id }),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) if is_check_violation(&e) => {
                        let f = format!("data[{i}].attributes.adjustment");
                        return Err(ApiError::validation(
                            &f,
                            format!("{f} would make available negative"),
                        ));
                    }
                    Err(e) => return Err(ApiError::internal(e)),
                }
                let row = products::find_inventory(conn, tenant, &c.id).await?;
                updated[i] = Some(row.render());
            }
            let updated: Vec<_> = updated.into_iter().flatten().collect();
            Reply::ok(&json!({ "data": updated }))
        })
    })
    .await
}
