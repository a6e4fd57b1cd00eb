//! Response bodies of the operator API (never a diesel struct on the wire).
//! Timestamps are RFC 3339 strings.

use crate::models::{api_key::ApiKey, tenant::Tenant, user::User};
use query::PaginationInfo;
use serde::Serialize;
use time::OffsetDateTime;

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub struct TenantView {
    pub id: String,
    pub object: &'static str,
    pub product: String,
    /// `shop`, `project` or `workspace`.
    pub kind: &'static str,
    pub name: String,
    /// Partner projects: `proj_…`; `null` otherwise.
    pub public_id: Option<String>,
    pub tier: String,
    pub created_at: String,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        let kind = t
            .product
            .parse::<auth_core::Product>()
            .map(|p| p.tenant_kind())
            .unwrap_or("");
        Self {
            id: t.id.to_string(),
            object: "tenant",
            product: t.product,
            kind,
            name: t.name,
            public_id: t.public_id,
            tier: t.tier,
            created_at: rfc3339(t.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub object: &'static str,
    pub tenant_id: String,
    pub email: String,
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            object: "user",
            tenant_id: u.tenant_id.to_string(),
            email: u.email,
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct KeyView {
    pub id: String,
    pub object: &'static str,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub product: String,
    pub name: String,
    /// Prefix and last four characters, e.g. `copt_live_…Fc1g`.
    pub hint: String,
    pub scopes: Vec<String>,
    pub tier: String,
    pub env: String,
    /// `active`, `rolling` (rolled, in its grace period), `revoked` or `expired`.
    pub status: &'static str,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    pub replaced_by: Option<String>,
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> Self {
        let now = OffsetDateTime::now_utc();
        let status = match (k.revoked_at, k.expires_at) {
            (Some(r), _) if r <= now => "revoked",
            (_, Some(e)) if e <= now => "expired",
            (Some(_), _) => "rolling",
            _ => "active",
        };
        Self {
            id: k.id,
            object: "api_key",
            tenant_id: k.tenant_id.to_string(),
            user_id: k.user_id,
            product: k.product,
            name: k.name,
            hint: k.hint,
            scopes: k.scopes,
            tier: k.tier,
            env: k.env,
            status,
            created_at: rfc3339(k.created_at),
            expires_at: k.expires_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
            last_used_at: k.last_used_at.map(rfc3339),
            replaced_by: k.replaced_by,
        }
    }
}

/// A key as returned once, at mint or roll time: the plaintext `key` plus the key's fields.
#[derive(Debug, Serialize)]
pub struct MintedKeyView {
    /// The plaintext key. Shown only in this response; auth keeps only its hash.
    pub key: String,
    #[serde(flatten)]
    pub view: KeyView,
}

#[derive(Debug, Serialize)]
pub struct RolledKeyView {
    pub key: String,
    #[serde(flatten)]
    pub view: KeyView,
    /// The replaced key, with `revoked_at` = end of the grace period.
    pub rolled_from: KeyView,
}

#[derive(Debug, Serialize)]
pub struct ListView<T> {
    pub data: Vec<T>,
    pub pagination: PaginationInfo,
}

#[derive(Debug, Serialize)]
pub struct SigningKeyView {
    pub kid: String,
    /// `active`, `published` (retired, still in the JWKS) or `retired`.
    pub status: &'static str,
    pub created_at: String,
    pub retired_at: Option<String>,
    pub publish_until: Option<String>,
}

impl SigningKeyView {
    pub fn new(
        kid: String,
        created_at: OffsetDateTime,
        retired_at: Option<OffsetDateTime>,
        publish_until: Option<OffsetDateTime>,
    ) -> Self {
        let now = OffsetDateTime::now_utc();
        let status = match (retired_at, publish_until) {
            (None, _) => "active",
            (Some(_), Some(p)) if p > now => "published",
            _ => "retired",
        };
        Self {
            kid,
            status,
            created_at: rfc3339(created_at),
            retired_at: retired_at.map(rfc3339),
            publish_until: publish_until.map(rfc3339),
        }
    }
}
