//! Resolution of public project ids (`proj_…`) to tenants for `/sdk/ingest`.
//!
//! Order: in-memory cache (positive and, briefly, negative answers) → the
//! local `projects` table (filled by read calls' JWTs and `partner-api seed`)
//! → auth's gRPC `ResolveProject`. A malformed id and an unknown id get the
//! same answer (`None`), so callers cannot probe which projects exist.

use crate::models::projects::{self, Origin};
use error_envelope::{ApiError, ErrorCode};
use rpc::auth::{ResolveProjectRequest, auth_client::AuthClient};
use service_kit::cache::Cache;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

const MAX_CACHE_ENTRIES: u64 = 100_000;

pub struct ProjectResolver {
    /// Public id → tenant (`None`: unknown), the platform's one cache type.
    cache: Cache<String, Option<Uuid>>,
    auth: AuthClient<Channel>,
    ttl: Duration,
    negative_ttl: Duration,
}

impl std::fmt::Debug for ProjectResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectResolver").finish_non_exhaustive()
    }
}

/// `proj_` followed by 1–64 ASCII letters, digits or `_`.
pub fn is_well_formed(public_id: &str) -> bool {
    public_id.strip_prefix("proj_").is_some_and(|rest| {
        (1..=64).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

impl ProjectResolver {
    pub fn new(auth_url: &str, ttl: Duration, negative_ttl: Duration) -> anyhow::Result<Self> {
        let channel = Endpoint::from_shared(auth_url.to_owned())?
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(2))
            .connect_lazy();
        Ok(Self {
            cache: Cache::new(MAX_CACHE_ENTRIES),
            auth: AuthClient::new(channel),
            ttl,
            negative_ttl,
        })
    }

    fn cached(&self, public_id: &str) -> Option<Option<Uuid>> {
        self.cache.get(&public_id.to_owned())
    }

    fn remember_in_cache(&self, public_id: &str, tenant: Option<Uuid>) {
        let ttl = if tenant.is_some() {
            self.ttl
        } else {
            self.negative_ttl
        };
        self.cache.insert(public_id.to_owned(), tenant, ttl);
    }

    /// Records the mapping carried by a verified internal JWT (read calls).
    pub async fn learn(
        &self,
        pool: &db::Pool,
        public_id: &str,
        tenant: Uuid,
    ) -> Result<(), ApiError> {
        if !is_well_formed(public_id) || self.cached(public_id) == Some(Some(tenant)) {
            return Ok(());
        }
        let mut conn = db::conn(pool).await?;
        projects::upsert(&mut conn, public_id, tenant, Origin::Jwt).await?;
        self.remember_in_cache(public_id, Some(tenant));
        Ok(())
    }

    /// The tenant of `public_id`, or `None` when it is malformed or unknown.
    /// Auth being unreachable for an id we do not know is a 503, never a "no".
    pub async fn resolve(
        &self,
        pool: &db::Pool,
        public_id: &str,
    ) -> Result<Option<Uuid>, ApiError> {
        if !is_well_formed(public_id) {
            return Ok(None);
        }
        if let Some(hit) = self.cached(public_id) {
            return Ok(hit);
        }
        {
            let mut conn = db::conn(pool).await?;
            if let Some(tenant) = projects::find(&mut conn, public_id).await? {
                self.remember_in_cache(public_id, Some(tenant));
                return Ok(Some(tenant));
            }
        }
        let mut client = self.auth.clone();
        match client
            .resolve_project(ResolveProjectRequest {
                public_id: public_id.to_owned(),
            })
            .await
        {
            Ok(res) => {
                let res = res.into_inner();
                let Ok(tenant) = Uuid::parse_str(&res.tenant_id) else {
                    return Err(ApiError::internal(format!(
                        "auth returned a malformed tenant id for {public_id}"
                    )));
                };
                let mut conn = db::conn(pool).await?;
                projects::upsert(&mut conn, public_id, tenant, Origin::Auth).await?;
                self.remember_in_cache(public_id, Some(tenant));
                Ok(Some(tenant))
            }
            Err(status) if status.code() == tonic::Code::NotFound => {
                self.remember_in_cache(public_id, None);
                Ok(None)
            }
            Err(status) => Err(ApiError::service_unavailable(
                ErrorCode::ServiceUnavailable,
                "project resolution is temporarily unavailable; retry shortly",
            )
            .with_log_detail(format!("ResolveProject: {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_ids() {
        assert!(is_well_formed("proj_abc123"));
        assert!(!is_well_formed("proj_"));
        assert!(!is_well_formed("abc"));
        assert!(!is_well_formed("proj_a'b"));
        assert!(!is_well_formed(&format!("proj_{}", "a".repeat(65))));
    }
}
