//! Actix extractors for upstream services.
//!
//! The gateway forwards `Authorization: Bearer <internal JWT>`; the service
//! registers a [`JwtVerifier`] as `web::Data` and handlers take
//! [`Authenticated`] (any valid principal) or [`Scoped<S>`] (a principal that
//! holds scope `S`; 403 `insufficient_scope` otherwise).

use crate::{Principal, jwt::JwtVerifier, scopes::Scope};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use error_envelope::ApiError;
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;

/// Any caller with a valid internal JWT for this service.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// A caller whose key holds scope `S`.
#[derive(Debug, Clone)]
pub struct Scoped<S: Scope>(pub Principal, PhantomData<S>);

impl<S: Scope> Scoped<S> {
    pub fn principal(&self) -> &Principal {
        &self.0
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    if let Some(p) = actix_web::HttpMessage::extensions(&req)
        .get::<Principal>()
        .cloned()
    {
        return Ok(p);
    }
    let verifier = req
        .app_data::<web::Data<JwtVerifier>>()
        .ok_or_else(|| ApiError::internal("JwtVerifier is not registered as app data"))?
        .clone();
    let token = bearer(&req)
        .ok_or_else(|| ApiError::invalid_token("missing or malformed Authorization header"))?;
    match verifier.verify(&token).await {
        Ok(p) => {
            actix_web::HttpMessage::extensions_mut(&req).insert(p.clone());
            Ok(p)
        }
        Err(crate::jwt::JwtError::Jwks(e)) => Err(ApiError::service_unavailable(
            error_envelope::ErrorCode::ServiceUnavailable,
            "authentication keys are unavailable; retry shortly",
        )
        .with_log_detail(e)),
        Err(e) => {
            Err(ApiError::invalid_token("the access token is invalid")
                .with_log_detail(e.to_string()))
        }
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Authenticated) })
    }
}

impl<S: Scope + 'static> FromRequest for Scoped<S> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let p = authenticate(req).await?;
            if p.has_scope(S::NAME) {
                Ok(Scoped(p, PhantomData))
            } else {
                Err(ApiError::insufficient_scope(S::NAME))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Product,
        jwt::{InternalClaims, Jwks, SigningKey, now},
        scopes::{CustomersRead, CustomersWrite},
    };
    use actix_web::{App, HttpResponse, test};
    use error_envelope::{Dialect, RequestContext};
    use std::time::Duration;

    async fn read(s: Scoped<CustomersRead>) -> HttpResponse {
        HttpResponse::Ok().body(s.0.tenant_id.to_string())
    }
    async fn write(_s: Scoped<CustomersWrite>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn scopes_are_enforced_by_type() {
        let key = SigningKey::generate("k").unwrap();
        let verifier = JwtVerifier::from_jwks(
            &Jwks {
                keys: vec![key.jwk()],
            },
            "admin-api",
        );
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(verifier))
                .route("/r", web::get().to(read))
                .route("/w", web::get().to(write))
                .wrap(RequestContext::new(Dialect::Admin)),
        )
        .await;
        let p = Principal {
            tenant_id: uuid::Uuid::now_v7(),
            product: Product::Admin,
            scopes: vec!["customers:read".into()],
            tier: "free".into(),
            key_id: "key_x".into(),
            user_id: None,
            public_id: None,
            env: "test".into(),
        };
        let jwt = key
            .sign(&InternalClaims::new(
                &p,
                "admin-api",
                now(),
                Duration::from_secs(60),
            ))
            .unwrap();
        let auth = ("authorization", format!("Bearer {jwt}"));
        let res = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/r")
                .insert_header(auth.clone())
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        let res = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/w")
                .insert_header(auth)
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 403);
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["error"]["code"], "insufficient_scope");
        assert_eq!(
            body["error"]["details"]["required_scope"],
            "customers:write"
        );
        let res = test::call_service(&app, test::TestRequest::get().uri("/r").to_request()).await;
        assert_eq!(res.status(), 401);
    }
}
