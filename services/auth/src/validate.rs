//! Validated input of the operator API; each error names its field.

use auth_core::{Product, key::KeyEnv, scopes};
use error_envelope::ApiError;
use time::OffsetDateTime;
use uuid::Uuid;

pub const MAX_EXPIRES_IN_DAYS: u64 = 3650;
pub const MAX_GRACE_SECONDS: u64 = 30 * 24 * 3600;

pub fn product(raw: &str) -> Result<Product, ApiError> {
    raw.parse::<Product>().map_err(|_| {
        ApiError::validation("product", "product must be admin, partner or generation")
    })
}

/// 1–200 characters after trimming, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            format!("{field} must be 1–200 printable characters"),
        ));
    }
    Ok(s.to_owned())
}

/// `[a-z0-9_-]{1,32}`, default `starter`. Tiers are defined by the ratelimit
/// service's configuration; auth only checks the shape.
pub fn tier(raw: Option<String>) -> Result<String, ApiError> {
    let Some(t) = raw else {
        return Ok("starter".into());
    };
    let ok = (1..=32).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::validation(
            "tier",
            "tier must match [a-z0-9_-]{1,32}",
        ));
    }
    Ok(t)
}

pub fn env(raw: Option<String>) -> Result<KeyEnv, ApiError> {
    match raw.as_deref() {
        None => Ok(KeyEnv::Live),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::validation("env", "env must be live or test")),
    }
}

/// A plausible address: one `@`, non-empty local part and dotted domain, ≤ 254 characters.
pub fn email(raw: &str) -> Result<String, ApiError> {
    let s = raw.trim();
    let ok = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !ok {
        return Err(ApiError::validation(
            "email",
            "email must be a valid address",
        ));
    }
    Ok(s.to_ascii_lowercase())
}

pub fn uuid_field(field: &str, raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::validation(field, format!("{field} must be a UUID")))
}

/// A tenant id in the path; a malformed one is simply not found.
pub fn tenant_id_in_path(raw: &str) -> Result<Uuid, ApiError> {
    auth_core::ids::TenantId::parse(raw)
        .map(Uuid::from)
        .ok_or_else(|| ApiError::not_found("tenant"))
}

/// A key id in the path; a malformed one is simply not found.
pub fn key_id_in_path(raw: &str) -> Result<auth_core::ids::KeyId, ApiError> {
    auth_core::ids::KeyId::parse(raw).ok_or_else(|| ApiError::not_found("api key"))
}

/// Non-empty, each in the product's catalog (the first foreign scope is named); duplicates dropped.
pub fn scopes(product: Product, raw: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let requested = raw.unwrap_or_default();
    if requested.is_empty() {
        return Err(ApiError::validation(
            "scopes",
            format!(
                "scopes must name at least one of: {}",
                scopes::catalog(product).join(", ")
            ),
        ));
    }
    if let Some(foreign) = scopes::foreign_scope(product, &requested) {
        return Err(ApiError::validation(
            "scopes",
            format!(
                "scope {foreign:?} does not exist for {product} keys; allowed: {}",
                scopes::catalog(product).join(", ")
            ),
        )
        .with_details(serde_json::json!({ "field": "scopes", "scope": foreign })));
    }
    let mut out: Vec<String> = Vec::with_capacity(requested.len());
    for s in requested {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// `expires_in_days` (1–3650) or `expires_at` (RFC 3339, in the future), not both.
pub fn expiry(
    in_days: Option<u64>,
    at: Option<String>,
) -> Result<Option<OffsetDateTime>, ApiError> {
    let now = OffsetDateTime::now_utc();
    match (in_days, at) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "expires_at",
            "give expires_in_days or expires_at, not both",
        )),
        (Some(d), None) => {
            if !(1..=MAX_EXPIRES_IN_DAYS).contains(&d) {
                return Err(ApiError::validation(
                    "expires_in_days",
                    format!("expires_in_days must be from 1 to {MAX_EXPIRES_IN_DAYS}"),
                ));
            }
            Ok(Some(now + time::Duration::days(d as i64)))
        }
        (None, Some(s)) => {
            let t = OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    ApiError::validation("expires_at", "expires_at must be an RFC 3339 timestamp")
                })?;
            if t <= now {
                return Err(ApiError::validation(
                    "expires_at",
                    "expires_at must be in the future",
                ));
            }
            if t > now + time::Duration::days(MAX_EXPIRES_IN_DAYS as i64) {
                return Err(ApiError::validation(
                    "expires_at",
                    "expires_at is too far in the future",
                ));
            }
            Ok(Some(t))
        }
        (None, None) => Ok(None),
    }
}
