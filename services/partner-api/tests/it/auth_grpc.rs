//! Project resolution through auth's gRPC `ResolveProject`, against a stand-in
//! implementing the `proto/` contract (the real `auth-service` binary is used
//! when it has been built, see `real_auth_service_resolves_projects`).

use crate::helpers::TestApp;
use reqwest::StatusCode;
use rpc::auth::{
    AuthenticateRequest, AuthenticateResponse, ResolveProjectRequest, ResolveProjectResponse,
    auth_server::{Auth, AuthServer},
};
use serde_json::json;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use testkit::operator::{DEV_OPERATOR_TOKEN, Operator};
use tonic::{Request, Response, Status};

#[derive(Clone)]
struct StandIn {
    known: (String, uuid::Uuid),
    calls: Arc<AtomicUsize>,
}

#[tonic::async_trait]
impl Auth for StandIn {
    async fn authenticate(
        &self,
        _: Request<AuthenticateRequest>,
    ) -> Result<Response<AuthenticateResponse>, Status> {
        Err(Status::unimplemented("not used by partner-api"))
    }

    async fn resolve_project(
        &self,
        req: Request<ResolveProjectRequest>,
    ) -> Result<Response<ResolveProjectResponse>, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let id = req.into_inner().public_id;
        if id == self.known.0 {
            Ok(Response::new(ResolveProjectResponse {
                tenant_id: self.known.1.to_string(),
                public_id: id,
                tier: "starter".into(),
            }))
        } else {
            Err(Status::not_found("no such project"))
        }
    }
}

async fn stand_in(known: (String, uuid::Uuid)) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = StandIn {
        known,
        calls: calls.clone(),
    };
    tokio::spawn(tonic::transport::Server::builder().serve_with_incoming(
        AuthServer::new(svc),
        tokio_stream::wrappers::TcpListenerStream::new(listener),
    ));
    (url, calls)
}

#[tokio::test]
async fn unknown_projects_are_resolved_through_auth_and_cached() {
    let tenant = uuid::Uuid::now_v7();
    let (url, calls) = stand_in(("proj_fromauth1".into(), tenant)).await;
    let app = TestApp::spawn_with(|c| c.auth_grpc_url = url).await;

    let batch = |pid: &str| json!({"projectId": pid, "events": [{"name": "hello"}]});
    let (s, b) = app.ingest(batch("proj_fromauth1")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["accepted"], 1);
    // known now: no second call
    assert_eq!(app.ingest(batch("proj_fromauth1")).await.0, StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // unknown and malformed ids get the same answer; the negative answer is cached
    let (s1, b1) = app.ingest(batch("proj_doesnotexist")).await;
    let (s2, b2) = app.ingest(batch("proj_doesnotexist")).await;
    let (s3, b3) = app.ingest(batch("not a project; drop table")).await;
    for (s, b) in [(s1, &b1), (s2, &b2), (s3, &b3)] {
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        assert_eq!(b["error"]["code"], "invalid_project");
        assert_eq!(b["error"]["message"], b1["error"]["message"]);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "negative answers are cached, malformed ids never asked"
    );

    // the data landed in the tenant auth named
    let principal = auth_core::Principal {
        tenant_id: tenant,
        public_id: Some("proj_fromauth1".into()),
        ..app.principal.clone()
    };
    let (_, events) = app.get_as(&principal, "/api/partner/events").await;
    assert_eq!(events["totalCount"], 2);
}

#[tokio::test]
async fn auth_unreachable_is_a_503_not_a_no() {
    let app = TestApp::spawn().await;
    let (s, b) = app
        .ingest(json!({"projectId": "proj_unknown1", "events": [{"name": "x"}]}))
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    // a project learned from a read call's JWT needs no auth round trip
    app.ok("/api/partner/health").await;
    let (s, _) = app
        .ingest(json!({"projectId": app.project_id(), "events": [{"name": "x"}]}))
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// (b) against the real `auth-service` binary, when it has been built
/// (`cargo build --workspace --bins`); otherwise the test says so and passes.
#[tokio::test]
async fn real_auth_service_resolves_projects() {
    let Ok(bin) = std::panic::catch_unwind(|| testkit::process::binary("auth-service")) else {
        eprintln!("auth-service binary not built: skipping the cross-service check");
        return;
    };
    assert!(bin.exists());
    let (http, grpc) = (testkit::process::free_port(), testkit::process::free_port());
    let db = db::with_database(&testkit::pg_url(), &testkit::unique("t_partner_auth_")).unwrap();
    let _auth = testkit::process::ServiceProcess::spawn(
        "auth-service",
        &["serve"],
        &[
            ("AUTH__LISTEN", format!("127.0.0.1:{http}")),
            ("AUTH__GRPC_LISTEN", format!("127.0.0.1:{grpc}")),
            ("AUTH__DATABASE__URL", db),
            ("AUTH__REDIS__URL", testkit::redis_url()),
            (
                "AUTH__REVOCATION_CHANNEL",
                testkit::unique("partner_test_revocations_"),
            ),
        ],
        &format!("http://127.0.0.1:{http}/readyz"),
    )
    .await;
    let tenant = Operator::new(http, DEV_OPERATOR_TOKEN)
        .tenant("partner", "partner-api test", None)
        .await;
    let public_id = tenant["public_id"]
        .as_str()
        .expect("a partner tenant has a public id")
        .to_owned();
    let tenant_id = uuid::Uuid::parse_str(tenant["id"].as_str().unwrap()).unwrap();

    let app = TestApp::spawn_with(|c| c.auth_grpc_url = format!("http://127.0.0.1:{grpc}")).await;
    let (s, b) = app
        .ingest(json!({"projectId": public_id, "events": [{"name": "via-auth"}]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .ingest(json!({"projectId": "proj_doesnotexist0", "events": [{"name": "x"}]}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_project"))
    );
    let principal = auth_core::Principal {
        tenant_id,
        public_id: Some(public_id),
        ..app.principal.clone()
    };
    assert_eq!(
        app.get_as(&principal, "/api/partner/events").await.1["totalCount"],
        1
    );
}
