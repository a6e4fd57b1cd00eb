//! The gRPC `platform.auth.v1.Auth` service (port 50051): `Authenticate` for
//! the gateway and `ResolveProject` for `POST /sdk/ingest`.
//!
//! Refusals travel in `AuthenticateResponse.error`; gRPC statuses are kept for
//! caller bugs (`INVALID_ARGUMENT`: product unspecified, empty audience),
//! `NOT_FOUND` (unknown project), and infrastructure failures
//! (`UNAVAILABLE`: database down or pool exhausted; `INTERNAL`).

use crate::{
    AppState,
    authn::{self, AuthnError, Refusal},
    models::tenant,
};
use auth_core::Product;
use rpc::auth::{
    AuthError, AuthenticateRequest, AuthenticateResponse, ResolveProjectRequest,
    ResolveProjectResponse, auth_server::Auth,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct AuthService {
    state: Arc<AppState>,
}

impl AuthService {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

fn product_of(raw: i32) -> Result<Product, Status> {
    rpc::product_from_wire(raw)
        .ok_or_else(|| Status::invalid_argument("product must be ADMIN, PARTNER or GENERATION"))
}

fn refusal(r: Refusal) -> AuthError {
    match r {
        Refusal::Malformed => AuthError::Malformed,
        Refusal::Unknown => AuthError::Unknown,
        Refusal::Revoked => AuthError::Revoked,
        Refusal::Expired => AuthError::Expired,
        Refusal::WrongProduct => AuthError::WrongProduct,
    }
}

#[tonic::async_trait]
impl Auth for AuthService {
    async fn authenticate(
        &self,
        request: Request<AuthenticateRequest>,
    ) -> Result<Response<AuthenticateResponse>, Status> {
        let req = request.into_inner();
        let product = product_of(req.product)?;
        let audience = req.audience.trim();
        if audience.is_empty() || audience.len() > 128 {
            return Err(Status::invalid_argument(
                "audience must be 1–128 characters",
            ));
        }
        let outcome = authn::authenticate(&self.state, &req.token, product, audience)
            .await
            .map_err(|e| match e {
                AuthnError::Unavailable(detail) => {
                    tracing::error!(%detail, "authenticate: database unavailable");
                    Status::unavailable("database unavailable")
                }
                AuthnError::Internal(detail) => {
                    tracing::error!(%detail, "authenticate failed");
                    Status::internal("internal error")
                }
            })?;
        let response = match outcome {
            Ok(a) => AuthenticateResponse {
                principal: Some(rpc::auth::Principal {
                    tenant_id: a.principal.tenant_id.to_string(),
                    product: rpc::auth::Product::from(a.principal.product) as i32,
                    scopes: a.principal.scopes,
                    tier: a.principal.tier,
                    key_id: a.principal.key_id,
                    user_id: a.principal.user_id.unwrap_or_default(),
                    public_id: a.principal.public_id.unwrap_or_default(),
                    env: a.principal.env,
                }),
                internal_jwt: a.jwt,
                jwt_expires_at: a.jwt_expires_at,
                cache_ttl_seconds: a.cache_ttl_seconds,
                error: AuthError::Unspecified as i32,
            },
            Err(r) => {
                tracing::debug!(reason = refusal(r).as_str_name(), "key refused");
                AuthenticateResponse {
                    error: refusal(r) as i32,
                    ..Default::default()
                }
            }
        };
        Ok(Response::new(response))
    }

    async fn resolve_project(
        &self,
        request: Request<ResolveProjectRequest>,
    ) -> Result<Response<ResolveProjectResponse>, Status> {
        let public_id = request.into_inner().public_id;
        let well_formed = public_id.len() <= 64
            && public_id
                .strip_prefix("proj_")
                .is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_alphanumeric()));
        if !well_formed {
            return Err(Status::not_found("no such project"));
        }
        let mut conn = self.state.pool.get().await.map_err(|e| {
            tracing::error!(error = %e, "resolve_project: pool");
            Status::unavailable("database unavailable")
        })?;
        match tenant::find_by_public_id(&mut conn, &public_id).await {
            Ok(t) => Ok(Response::new(ResolveProjectResponse {
                tenant_id: t.id.to_string(),
                public_id,
                tier: t.tier,
            })),
            Err(diesel::result::Error::NotFound) => Err(Status::not_found("no such project")),
            Err(e) => {
                tracing::error!(error = %e, "resolve_project failed");
                Err(Status::internal("internal error"))
            }
        }
    }
}
