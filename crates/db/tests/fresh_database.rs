//! `fresh_database` against the real PostgreSQL server.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("tests/migrations");

fn server() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

#[tokio::test]
async fn each_call_gives_a_migrated_database_of_its_own() {
    let a = db::fresh_database(&server(), "dbcrate", MIGRATIONS)
        .await
        .unwrap();
    let b = db::fresh_database(&server(), "dbcrate", MIGRATIONS)
        .await
        .unwrap();
    assert_ne!(a, b);
    let mut ca = AsyncPgConnection::establish(&a).await.unwrap();
    diesel::sql_query("INSERT INTO widgets (name) VALUES ('x')")
        .execute(&mut ca)
        .await
        .unwrap();
    let mut cb = AsyncPgConnection::establish(&b).await.unwrap();
    let inserted = diesel::sql_query("INSERT INTO widgets (name) VALUES ('y')")
        .execute(&mut cb)
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    // b did not see a's row: ids start again at 1.
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = diesel::sql_query("SELECT id FROM widgets")
        .load(&mut cb)
        .await
        .unwrap();
    assert_eq!(ids.iter().map(|i| i.id).collect::<Vec<_>>(), vec![1]);
}

#[tokio::test]
async fn pools_serve_connections_and_create_database_if_missing_is_idempotent() {
    let name = format!("t_dbcrate_{}", uuid::Uuid::new_v4().simple());
    let url = db::with_database(&server(), &name).unwrap();
    db::create_database_if_missing(&url).await.unwrap();
    db::create_database_if_missing(&url).await.unwrap();
    db::migrate(&url, MIGRATIONS).await.unwrap();
    let pool = db::pool(&url, 2).unwrap();
    let mut conn = db::conn(&pool).await.unwrap();
    let n = diesel::sql_query("INSERT INTO widgets (name) VALUES ('z')")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_of_a_fresh_database_both_succeed() {
    let name = format!("t_dbcrate_{}", uuid::Uuid::new_v4().simple());
    let url = db::with_database(&server(), &name).unwrap();
    db::create_database_if_missing(&url).await.unwrap();
    // Several pods' init containers starting at once: without the lock one of
    // them fails on "relation already exists" or a duplicate version row.
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { db::migrate(&url, MIGRATIONS).await })
        })
        .collect();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let applied: N = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(applied.n, 2);
}
