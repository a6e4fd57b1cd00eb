//! `execute` against a real PostgreSQL database holding only the crate's table
//! and a table of effects: replay, mismatch, failure, in-use, purge.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use actix_web::{HttpResponse, http::StatusCode};
use diesel::{QueryableByName, sql_types::BigInt};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use error_envelope::ApiError;
use idempotency::{KeyedRequest, Reply, execute};
use serde_json::json;
use uuid::Uuid;

async fn database() -> String {
    let name = testkit::unique("t_idem_");
    let url = db::with_database(&testkit::pg_url(), &name).unwrap();
    let mut admin =
        AsyncPgConnection::establish(&db::with_database(&testkit::pg_url(), "postgres").unwrap())
            .await
            .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    conn.batch_execute(idempotency::SCHEMA_SQL).await.unwrap();
    conn.batch_execute("CREATE TABLE effects (tenant_id UUID NOT NULL, note TEXT NOT NULL)")
        .await
        .unwrap();
    url
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(url: &str, table: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

async fn body(res: HttpResponse) -> (StatusCode, bool, String) {
    let status = res.status();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    let bytes = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    (status, replayed, String::from_utf8(bytes.to_vec()).unwrap())
}

/// An effect that records `note` and answers 201 with a fresh id.
async fn record(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    key: Option<KeyedRequest>,
    note: &'static str,
) -> Result<HttpResponse, ApiError> {
    execute(conn, key, move |c| {
        Box::pin(async move {
            diesel::sql_query("INSERT INTO effects VALUES ($1, $2)")
                .bind::<diesel::sql_types::Uuid, _>(tenant)
                .bind::<diesel::sql_types::Text, _>(note)
                .execute(c)
                .await?;
            Reply::created(&json!({ "id": Uuid::new_v4(), "note": note }))
        })
    })
    .await
}

#[tokio::test]
async fn replays_refuses_reuse_and_forgets_failures() {
    let url = database().await;
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let tenant = Uuid::new_v4();
    let key = |body: &str| {
        Some(KeyedRequest::new(
            tenant,
            "k-1".into(),
            "POST",
            "/things",
            body.as_bytes(),
        ))
    };

    let (s1, r1, b1) = body(
        record(&mut conn, tenant, key(r#"{"a":1}"#), "first")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s1, r1), (StatusCode::CREATED, false));
    let (s2, r2, b2) = body(
        record(&mut conn, tenant, key(r#"{ "a" : 1 }"#), "second")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s2, r2), (StatusCode::CREATED, true));
    assert_eq!(b1, b2, "replay is byte for byte");
    assert_eq!(count(&url, "effects").await, 1);

    let err = record(&mut conn, tenant, key(r#"{"a":2}"#), "third")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "idempotency_key_reused");
    assert_eq!(count(&url, "effects").await, 1);

    // Another tenant may use the same key.
    let other = Uuid::new_v4();
    let res = record(
        &mut conn,
        other,
        Some(KeyedRequest::new(
            other,
            "k-1".into(),
            "POST",
            "/things",
            b"{\"a\":1}",
        )),
        "other",
    )
    .await;
    assert!(!body(res.unwrap()).await.1);

    // A failing effect leaves neither effect nor record.
    let failing = execute(
        &mut conn,
        Some(KeyedRequest::new(tenant, "k-2".into(), "POST", "/x", b"")),
        |c| {
            Box::pin(async move {
                diesel::sql_query("INSERT INTO effects VALUES (gen_random_uuid(), 'doomed')")
                    .execute(c)
                    .await?;
                Err(ApiError::invalid_state("no"))
            })
        },
    )
    .await;
    assert_eq!(failing.unwrap_err().code(), "invalid_state");
    assert_eq!(count(&url, "effects WHERE note = 'doomed'").await, 0);
    assert_eq!(count(&url, "idempotency_keys WHERE key = 'k-2'").await, 0);

    // Without a key the effect still runs (once per call).
    record(&mut conn, tenant, None, "plain").await.unwrap();
    record(&mut conn, tenant, None, "plain").await.unwrap();
    assert_eq!(count(&url, "effects WHERE note = 'plain'").await, 2);

    // Expired records are forgotten and purged.
    conn.batch_execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
        .await
        .unwrap();
    let (_, replayed, _) = body(
        record(&mut conn, tenant, key(r#"{"a":3}"#), "after-expiry")
            .await
            .unwrap(),
    )
    .await;
    assert!(!replayed);
    assert_eq!(
        idempotency::purge_expired(&mut conn, 100).await.unwrap(),
        1,
        "the other tenant's expired record"
    );
    assert_eq!(count(&url, "idempotency_keys").await, 1);
}

#[tokio::test]
async fn a_key_in_flight_is_in_use() {
    let url = database().await;
    let tenant = Uuid::new_v4();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let first_url = url.clone();
    let first = tokio::spawn(async move {
        let mut conn = AsyncPgConnection::establish(&first_url).await.unwrap();
        let key = KeyedRequest::new(tenant, "slow".into(), "POST", "/x", b"");
        let res = execute(&mut conn, Some(key), move |_c| {
            Box::pin(async move {
                let _ = started_tx.send(());
                let _ = release_rx.await;
                Reply::ok(&json!({ "done": true }))
            })
        })
        .await;
        res.map(|r| r.status())
    });
    started_rx.await.unwrap();
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let err = record(
        &mut conn,
        tenant,
        Some(KeyedRequest::new(tenant, "slow".into(), "POST", "/x", b"")),
        "second",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "idempotency_key_in_use");
    assert_eq!(err.status(), StatusCode::CONFLICT);
    release_tx.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap(), StatusCode::OK);
    let (status, replayed, text) = body(
        record(
            &mut conn,
            tenant,
            Some(KeyedRequest::new(tenant, "slow".into(), "POST", "/x", b"")),
            "third",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, replayed, text.as_str()),
        (StatusCode::OK, true, r#"{"done":true}"#)
    );
    assert_eq!(count(&url, "effects").await, 0);
}
