//! Every action on every column type, and the `invalid_q` cases.

use crate::helpers::{TestApp, ago, names};
use reqwest::StatusCode;
use serde_json::{Value, json};

const S1: &str = "0190f000-0000-7000-8000-0000000000a1";
const S2: &str = "0190f000-0000-7000-8000-0000000000a2";

/// Five events, newest first: 100%_real, signup, Purchase_Refund, purchase, page_view.
async fn fixture() -> (TestApp, Value) {
    let app = TestApp::spawn().await;
    let res = app
        .ingest_ok(json!({
            "events": [
                {"name": "page_view", "externalUserId": "user_a", "sessionId": S1, "timestamp": ago(50),
                 "url": "https://app.example.com/home", "platform": "Linux", "browser": "Chrome", "payload": {"plan": "pro"}},
                {"name": "purchase", "externalUserId": "user_b", "sessionId": S2, "timestamp": ago(40),
                 "orderId": "ord_1", "totalAmount": 49.9, "currency": "usd", "productId": "p1",
                 "utmSource": "google", "utmMedium": "cpc", "utmCampaign": "spring-2026", "payload": {"coupon": "50%_OFF"}},
                {"name": "Purchase_Refund", "timestamp": ago(30), "source": "backend", "orderId": ""},
                {"name": "signup", "externalUserId": "user_a", "sessionId": S1, "timestamp": ago(20),
                 "orderId": "ord_2", "totalAmount": "100", "currency": "EUR"},
                {"name": "100%_real", "externalUserId": "user_c", "timestamp": ago(10), "platform": "macOS", "browser": "Safari"}
            ]
        }))
        .await;
    assert_eq!(res["accepted"], 5, "{res}");
    (app, res)
}

async fn ev(app: &TestApp, query: &str) -> Vec<String> {
    let body = app.ok(&format!("/api/partner/events?{query}")).await;
    names(&body, "events", "name")
}

fn v(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn text_columns_take_every_text_action() {
    let (app, _) = fixture().await;
    assert_eq!(
        ev(&app, "").await,
        v(&[
            "100%_real",
            "signup",
            "Purchase_Refund",
            "purchase",
            "page_view"
        ])
    );
    assert_eq!(ev(&app, "q[name__eq]=purchase").await, v(&["purchase"]));
    assert_eq!(
        ev(&app, "q[name__not]=purchase").await,
        v(&["100%_real", "signup", "Purchase_Refund", "page_view"])
    );
    assert_eq!(
        ev(&app, "q[name__in]=signup,page_view").await,
        v(&["signup", "page_view"])
    );
    // ILIKE: case-insensitive substring
    assert_eq!(
        ev(&app, "q[name__like]=PURCH").await,
        v(&["Purchase_Refund", "purchase"])
    );
    // % and _ are literal
    assert_eq!(ev(&app, "q[name__like]=%25").await, v(&["100%_real"]));
    assert_eq!(
        ev(&app, "q[name__like]=_").await,
        v(&["100%_real", "Purchase_Refund", "page_view"])
    );
    assert_eq!(
        ev(&app, "q[name__gte]=signup&q[name__lte]=signup").await,
        v(&["signup"])
    );
    assert_eq!(
        ev(&app, "q[externalUserId__is]=null").await,
        v(&["Purchase_Refund"])
    );
    assert_eq!(ev(&app, "q[externalUserId__is]=notnull").await.len(), 4);
    assert_eq!(
        ev(&app, "q[externalUserId__eq]=user_a").await,
        v(&["signup", "page_view"])
    );
    assert_eq!(
        ev(&app, "q[platform__eq]=macOS&q[browser__like]=saf").await,
        v(&["100%_real"])
    );
    assert_eq!(ev(&app, "q[url__like]=/home").await, v(&["page_view"]));
    assert_eq!(ev(&app, "q[name__order]=asc").await.len(), 5);
    // the conversion columns
    assert_eq!(
        ev(&app, "q[orderId__not]=").await,
        v(&["signup", "purchase"])
    );
    assert_eq!(ev(&app, "q[orderId__eq]=ord_1").await, v(&["purchase"]));
    assert_eq!(ev(&app, "q[currency__eq]=USD").await, v(&["purchase"]));
    assert_eq!(ev(&app, "q[productId__eq]=p1&q[utmSource__eq]=google&q[utmMedium__eq]=cpc&q[utmCampaign__like]=spring").await, v(&["purchase"]));
    // several orders: user ascending (nulls last), then time descending
    assert_eq!(
        ev(
            &app,
            "q[externalUserId__order]=asc&q[timestamp__order]=desc"
        )
        .await,
        v(&[
            "signup",
            "page_view",
            "purchase",
            "100%_real",
            "Purchase_Refund"
        ])
    );
}

#[tokio::test]
async fn uuid_id_and_enum_columns() {
    let (app, res) = fixture().await;
    assert_eq!(
        ev(&app, &format!("q[sessionId__eq]={S1}")).await,
        v(&["signup", "page_view"])
    );
    assert_eq!(
        ev(&app, &format!("q[sessionId__not]={S1}")).await,
        v(&["purchase"])
    );
    assert_eq!(
        ev(&app, &format!("q[sessionId__in]={S1},{S2}")).await.len(),
        3
    );
    // the API's own session ids (`ses_<32 hex>`, as /api/partner/sessions shows them) work too
    let ses1 = format!("ses_{}", S1.replace('-', ""));
    assert_eq!(
        ev(&app, &format!("q[sessionId__eq]={ses1}")).await,
        v(&["signup", "page_view"])
    );
    assert_eq!(
        ev(&app, &format!("q[sessionId__in]={ses1},{S2}"))
            .await
            .len(),
        3
    );
    assert_eq!(
        ev(&app, "q[sessionId__is]=null").await,
        v(&["100%_real", "Purchase_Refund"])
    );
    assert_eq!(
        ev(&app, "q[sessionId__order]=asc&q[sessionId__is]=notnull").await[2],
        "purchase"
    );

    let purchase = res["events"][1]["id"].as_str().unwrap();
    let signup = res["events"][3]["id"].as_str().unwrap();
    assert!(purchase.starts_with("evt_"));
    assert_eq!(
        ev(&app, &format!("q[id__eq]={purchase}")).await,
        v(&["purchase"])
    );
    assert_eq!(
        ev(&app, &format!("q[id__in]={purchase},{signup}")).await,
        v(&["signup", "purchase"])
    );
    assert_eq!(ev(&app, &format!("q[id__not]={purchase}")).await.len(), 4);
    let body = app
        .ok(&format!("/api/partner/events?q[id__eq]={purchase}"))
        .await;
    assert_eq!(body["events"][0]["id"], purchase);

    assert_eq!(
        ev(&app, "q[source__eq]=backend").await,
        v(&["Purchase_Refund"])
    );
    assert_eq!(
        ev(&app, "q[source__in]=backend,import").await,
        v(&["Purchase_Refund"])
    );
    assert_eq!(ev(&app, "q[source__not]=backend").await.len(), 4);
    assert_eq!(ev(&app, "q[source__is]=notnull").await.len(), 5);
}

#[tokio::test]
async fn timestamp_number_and_json_columns() {
    let (app, _) = fixture().await;
    assert_eq!(
        ev(&app, &format!("q[timestamp__gte]={}", ago(35))).await,
        v(&["100%_real", "signup", "Purchase_Refund"])
    );
    assert_eq!(
        ev(&app, &format!("q[timestamp__lte]={}", ago(35))).await,
        v(&["purchase", "page_view"])
    );
    assert_eq!(ev(&app, "q[timestamp__order]=asc").await[0], "page_view");
    let all = app.ok("/api/partner/events?q[name__eq]=purchase").await;
    let ts = all["events"][0]["timestamp"].as_str().unwrap().to_owned();
    assert_eq!(
        ev(&app, &format!("q[timestamp__eq]={ts}")).await,
        v(&["purchase"])
    );
    assert_eq!(ev(&app, &format!("q[timestamp__not]={ts}")).await.len(), 4);
    assert_eq!(
        ev(&app, &format!("q[timestamp__in]={ts}")).await,
        v(&["purchase"])
    );
    assert_eq!(ev(&app, "q[timestamp__is]=notnull").await.len(), 5);
    // a bare date as the upper bound includes that whole day
    let today = &ts[..10];
    assert_eq!(
        ev(&app, &format!("q[timestamp__lte]={today}")).await.len(),
        5
    );
    assert_eq!(
        ev(
            &app,
            "q[timestamp__gte]=2026-01-01&q[timestamp__lte]=2026-01-31"
        )
        .await
        .len(),
        0
    );

    assert_eq!(ev(&app, "q[totalAmount__eq]=49.9").await, v(&["purchase"]));
    assert_eq!(ev(&app, "q[totalAmount__gte]=50").await, v(&["signup"]));
    assert_eq!(ev(&app, "q[totalAmount__lte]=50").await, v(&["purchase"]));
    assert_eq!(
        ev(&app, "q[totalAmount__in]=49.9,100").await,
        v(&["signup", "purchase"])
    );
    assert_eq!(ev(&app, "q[totalAmount__not]=100").await, v(&["purchase"]));
    assert_eq!(ev(&app, "q[totalAmount__is]=null").await.len(), 3);
    assert_eq!(
        ev(&app, "q[totalAmount__order]=asc").await[..2],
        v(&["purchase", "signup"])
    );
    let conv = app.ok("/api/partner/events?q[orderId__eq]=ord_1").await;
    assert_eq!(conv["events"][0]["totalAmount"], 49.9);
    assert_eq!(conv["events"][0]["currency"], "USD");

    // payload is a JSON string; like searches its text
    assert_eq!(
        ev(&app, "q[payload__like]=50%25_off").await,
        v(&["purchase"])
    );
    assert_eq!(ev(&app, "q[payload__is]=notnull").await.len(), 5);
    assert_eq!(conv["events"][0]["payload"], "{\"coupon\":\"50%_OFF\"}");
}

#[tokio::test]
async fn logs_and_sessions_filter_on_their_columns() {
    let app = TestApp::spawn().await;
    let a = "0190f000-0000-7000-8000-0000000000b1";
    let d = "0190f000-0000-7000-8000-0000000000d1";
    app.ingest_ok(json!({
        "logs": [
            {"level": "error", "message": "Checkout failed: invalid token", "sessionId": a, "timestamp": ago(3), "url": "https://app.example.com/checkout"},
            {"level": "warn", "message": "slow render", "timestamp": ago(2)},
            {"level": "debug", "message": "tick", "timestamp": ago(1), "source": "backend"}
        ],
        "session": {"id": a, "deviceId": d, "externalUserId": "user_7e2a9c", "platform": "Linux", "browser": "Chrome",
                    "utmSource": "google", "utmMedium": "cpc", "utmCampaign": "spring-2026", "referrer": "https://google.com/",
                    "landingPage": "https://app.example.com/", "startedAt": ago(5)}
    }))
    .await;
    app.ingest_ok(json!({"source": "import", "session": {"id": "0190f000-0000-7000-8000-0000000000b2", "startedAt": ago(4)}})).await;

    let logs = |q: &'static str| {
        let app = &app;
        async move {
            names(
                &app.ok(&format!("/api/partner/logs?{q}")).await,
                "logs",
                "level",
            )
        }
    };
    assert_eq!(
        logs("q[level__in]=error,warn&q[perPage]=20").await,
        v(&["warn", "error"])
    );
    assert_eq!(logs("q[level__eq]=debug").await, v(&["debug"]));
    assert_eq!(logs("q[level__not]=debug").await, v(&["warn", "error"]));
    assert_eq!(logs("q[message__like]=checkout").await, v(&["error"]));
    assert_eq!(logs("q[source__eq]=backend").await, v(&["debug"]));
    assert_eq!(
        logs("q[sessionId__eq]=0190f000-0000-7000-8000-0000000000b1").await,
        v(&["error"])
    );
    assert_eq!(logs("q[url__is]=null").await, v(&["debug", "warn"]));
    assert_eq!(
        logs("q[timestamp__order]=asc").await,
        v(&["error", "warn", "debug"])
    );
    let (s, b) = app.get("/api/partner/logs?q[level__eq]=fatal").await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_q"))
    );

    let body = app.ok("/api/partner/logs?q[level__eq]=error").await;
    let log = &body["logs"][0];
    assert!(log["id"].as_str().unwrap().starts_with("log_"));
    assert_eq!(log["message"], "Checkout failed: invalid token");
    assert_eq!(log["source"], "sdk");
    assert_eq!(log["sessionId"], a);
    assert_eq!(log["url"], "https://app.example.com/checkout");

    let ses = |q: String| {
        let app = &app;
        async move {
            names(
                &app.ok(&format!("/api/partner/sessions?{q}")).await,
                "sessions",
                "source",
            )
        }
    };
    // newest first by default
    assert_eq!(ses(String::new()).await, v(&["import", "sdk"]));
    assert_eq!(
        ses("q[createdAt__order]=asc".into()).await,
        v(&["sdk", "import"])
    );
    assert_eq!(
        ses("q[externalUserId__eq]=user_7e2a9c".into()).await,
        v(&["sdk"])
    );
    assert_eq!(ses(format!("q[deviceId__eq]={d}")).await, v(&["sdk"]));
    assert_eq!(
        ses("q[utmSource__eq]=google&q[utmMedium__eq]=cpc&q[utmCampaign__eq]=spring-2026".into())
            .await,
        v(&["sdk"])
    );
    assert_eq!(ses("q[source__eq]=import".into()).await, v(&["import"]));
    assert_eq!(ses("q[referrer__like]=google".into()).await, v(&["sdk"]));
    assert_eq!(ses("q[landingPage__is]=null".into()).await, v(&["import"]));
    assert_eq!(ses("q[createdAt__gte]=2026-01-01".into()).await.len(), 2);
    assert_eq!(
        ses(format!("q[startedAt__lte]={}", ago(5))).await,
        v(&["sdk"])
    );
    let b2 = uuid::Uuid::parse_str("0190f000-0000-7000-8000-0000000000b2")
        .unwrap()
        .simple();
    assert_eq!(ses(format!("q[id__eq]=ses_{b2}")).await, v(&["import"]));

    let body = app
        .ok("/api/partner/sessions?q[externalUserId__eq]=user_7e2a9c")
        .await;
    let s = &body["sessions"][0];
    assert_eq!(
        s["id"],
        format!("ses_{}", uuid::Uuid::parse_str(a).unwrap().simple())
    );
    assert_eq!(s["deviceId"], d);
    for f in [
        "platform",
        "browser",
        "utmSource",
        "utmMedium",
        "utmCampaign",
        "referrer",
        "landingPage",
        "startedAt",
        "createdAt",
    ] {
        assert!(s[f].is_string(), "{f}: {s}");
    }
}

#[tokio::test]
async fn invalid_q_names_the_parameter() {
    let app = TestApp::spawn().await;
    for (path, parameter) in [
        ("/api/partner/events?q[nope__eq]=1", "q[nope__eq]"),
        ("/api/partner/events?q[name__regex]=x", "q[name__regex]"),
        ("/api/partner/events?q[name]=x", "q[name]"),
        (
            "/api/partner/events?q[timestamp__gte]=yesterday",
            "q[timestamp__gte]",
        ),
        (
            "/api/partner/events?q[timestamp__like]=2026",
            "q[timestamp__like]",
        ),
        (
            "/api/partner/events?q[totalAmount__gte]=ten",
            "q[totalAmount__gte]",
        ),
        (
            "/api/partner/events?q[sessionId__eq]=not-a-uuid",
            "q[sessionId__eq]",
        ),
        (
            "/api/partner/events?q[sessionId__like]=abc",
            "q[sessionId__like]",
        ),
        ("/api/partner/events?q[id__eq]=evt_zz", "q[id__eq]"),
        ("/api/partner/events?q[source__eq]=web", "q[source__eq]"),
        ("/api/partner/events?q[name__is]=maybe", "q[name__is]"),
        ("/api/partner/events?q[name__order]=up", "q[name__order]"),
        (
            "/api/partner/events?q[name__order]=asc&q[name__order]=desc",
            "q[name__order]",
        ),
        ("/api/partner/events?q[payload__eq]=x", "q[payload__eq]"),
        ("/api/partner/events?q[level__eq]=error", "q[level__eq]"),
        ("/api/partner/events?q[perPage]=0", "q[perPage]"),
        ("/api/partner/events?q[perPage]=201", "q[perPage]"),
        ("/api/partner/events?q[page]=0", "q[page]"),
        ("/api/partner/events?q[page]=abc", "q[page]"),
        ("/api/partner/events?q[page]=1000&q[perPage]=200", "q[page]"),
        ("/api/partner/events?projectId=proj_other", "projectId"),
        (
            "/api/partner/events?q[projectId__eq]=proj_other",
            "q[projectId__eq]",
        ),
        ("/api/partner/events?limit=5", "limit"),
        ("/api/partner/logs?q[level__like]=err", "q[level__like]"),
        ("/api/partner/logs?q[name__eq]=x", "q[name__eq]"),
        (
            "/api/partner/sessions?q[deviceId__eq]=abc",
            "q[deviceId__eq]",
        ),
        (
            "/api/partner/sessions?q[createdAt__gte]=2026-02-30",
            "q[createdAt__gte]",
        ),
        (
            "/api/partner/sessions?q[timestamp__order]=desc",
            "q[timestamp__order]",
        ),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_q", "{path}: {body}");
        assert_eq!(
            body["error"]["details"]["parameter"], parameter,
            "{path}: {body}"
        );
        assert!(
            body["error"]["request_id"]
                .as_str()
                .unwrap()
                .starts_with("req_")
        );
    }
}
