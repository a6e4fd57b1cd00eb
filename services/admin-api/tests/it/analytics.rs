//! Decision-intelligence runs and SEO keywords: list, filter, sort, get.

use crate::helpers::TestApp;

#[tokio::test]
async fn runs_and_keywords() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    let runs = app
        .walk(
            &shop,
            "/api/v1/decision-intelligence/runs?filter[status]=succeeded&limit=10",
        )
        .await;
    assert!(!runs.is_empty());
    assert!(runs.iter().all(|r| r["attributes"]["status"] == "succeeded"
        && r["attributes"]["summary"]["headline"].is_string()));
    let id = runs[0]["id"].as_str().unwrap();
    assert!(id.starts_with("run_"));
    let one = app
        .get(&shop, &format!("/api/v1/decision-intelligence/runs/{id}"))
        .await;
    one.assert(200);
    assert_eq!(one.body["data"], runs[0]);
    app.get(&shop, "/api/v1/decision-intelligence/runs/run_missing")
        .await
        .assert_error(404, "not_found");

    let kws = app.walk(&shop, "/api/v1/seo-intelligence/keywords?filter[position_max]=10&sort=position,-search_volume&limit=4").await;
    assert!(!kws.is_empty());
    for w in kws.windows(2) {
        let (a, b) = (&w[0]["attributes"], &w[1]["attributes"]);
        assert!(a["position"].as_i64() <= b["position"].as_i64());
    }
    let kw = kws[0]["id"].as_str().unwrap();
    assert!(kw.starts_with("kw_"));
    app.get(&shop, &format!("/api/v1/seo-intelligence/keywords/{kw}"))
        .await
        .assert(200);
    app.get(&shop, "/api/v1/seo-intelligence/keywords/kw_missing")
        .await
        .assert_error(404, "not_found");
}
