//! `schema.rs` against the migrated database (the shared drift check).

#[tokio::test]
async fn schema_matches_migrations() {
    let url = testkit::fresh_db("adminschema", admin_api::MIGRATIONS).await;
    testkit::schema_drift::assert_matches(
        &url,
        testkit::declared_tables!(admin_api::schema => audiences,
            customers,
            orders,
            attributions,
            touchpoints,
            campaigns,
            journeys,
            enrollments,
            products,
            inventory_levels,
            decision_runs,
            seo_keywords),
        // owned and declared by crates/idempotency
        &["idempotency_keys"],
    )
    .await;
}
