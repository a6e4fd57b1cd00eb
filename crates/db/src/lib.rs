//! PostgreSQL access for services: a [`Pool`] of diesel-async connections,
//! [`migrate`] for embedded migrations, [`fresh_database`] for tests, and the
//! one mapping of database errors into the envelope ([`db_error`]).
//!
//! No libpq: diesel is built with `postgres_backend` only and connections come
//! from diesel-async (tokio-postgres underneath), over TLS (rustls) when the URL
//! says `sslmode=require|verify-full` (see [`tls`]).

pub mod tls;

use diesel::{ConnectionError, result::Error as DieselError};
use diesel_async::{
    AsyncPgConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, deadpool},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use error_envelope::ApiError;

pub use diesel_migrations::embed_migrations;

pub type Pool = deadpool::Pool<AsyncPgConnection>;
pub type PooledConn = deadpool::Object<AsyncPgConnection>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("connect: {0}")]
    Connect(#[from] ConnectionError),
    #[error("query: {0}")]
    Query(#[from] DieselError),
    #[error("pool: {0}")]
    Pool(String),
    #[error("migrations: {0}")]
    Migrations(String),
    #[error("bad database url: {0}")]
    Url(String),
}

/// A pool of at most `max_size` connections; connections are made lazily.
pub fn pool(url: &str, max_size: usize) -> Result<Pool, DbError> {
    pool_with_statement_timeout(url, max_size, None)
}

diesel::define_sql_function! {
    /// PostgreSQL `set_config(setting, value, is_local)`: `SET` with bound values.
    fn set_config(setting: diesel::sql_types::Text, value: diesel::sql_types::Text, is_local: diesel::sql_types::Bool) -> diesel::sql_types::Text;
}

/// Like [`pool`], every connection bounded by `statement_timeout` (a session
/// setting made when the connection is opened, so it costs no round trip per
/// query). A statement running longer is cancelled by PostgreSQL and the
/// connection stays usable; the error registry maps it to 503 `query_timeout`.
pub fn pool_with_statement_timeout(
    url: &str,
    max_size: usize,
    statement_timeout: Option<std::time::Duration>,
) -> Result<Pool, DbError> {
    let millis = statement_timeout.map(|t| format!("{}ms", t.as_millis()));
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        let millis = millis.clone();
        Box::pin(async move {
            let mut conn = tls::establish(&url).await?;
            if let Some(millis) = millis {
                diesel::select(set_config("statement_timeout", millis, false))
                    .execute(&mut conn)
                    .await
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
            }
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    deadpool::Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// Takes a connection from the pool; exhaustion or an unreachable server is a
/// 503 (error-envelope's `From` impl for pool errors).
pub async fn conn(pool: &Pool) -> Result<PooledConn, ApiError> {
    Ok(pool.get().await?)
}

/// The one mapping of query errors: not found → 404 `not_found` for `resource`,
/// anything else → logged 500.
pub fn db_error(resource: &'static str) -> impl Fn(DieselError) -> ApiError {
    move |e| match e {
        DieselError::NotFound => ApiError::not_found(resource),
        other => ApiError::internal(other),
    }
}

/// The session-level advisory lock [`migrate`] holds on its connection.
/// PostgreSQL scopes advisory locks to the current database, so migrations of
/// different databases never wait on each other.
const MIGRATION_LOCK_KEY: i64 = 0x006d_6967_7261_7465; // "migrate"

/// Runs pending migrations under a session-level advisory lock, so several
/// processes migrating one database at once (the init containers of several
/// pods) take turns: the first applies the migrations, the others then find
/// none pending. diesel's harness is blocking, so it runs on a blocking thread
/// through `AsyncConnectionWrapper` (works under actix's current-thread
/// runtimes too). The lock goes with the connection if the process dies.
pub async fn migrate(url: &str, migrations: EmbeddedMigrations) -> Result<(), DbError> {
    let mut conn = tls::establish(url).await?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .execute(&mut conn)
        .await?;
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        let applied = conn
            .run_pending_migrations(migrations)
            .map(|_| ())
            .map_err(|e| DbError::Migrations(e.to_string()));
        let unlocked = diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")),
            &mut conn,
        );
        applied?;
        unlocked?;
        Ok(())
    })
    .await
    .map_err(|e| DbError::Migrations(e.to_string()))?
}

/// Splits `postgres://…/dbname?params` into (server part, db name, query suffix).
fn split_url(url: &str) -> Result<(&str, &str, &str), DbError> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| DbError::Url("missing scheme".into()))?
        + 3;
    let path_start = url[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .ok_or_else(|| DbError::Url("missing database name".into()))?;
    let (server, rest) = url.split_at(path_start);
    let rest = &rest[1..];
    let (name, query) = match rest.find('?') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    Ok((server, name, query))
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> Result<String, DbError> {
    let (server, _, query) = split_url(url)?;
    Ok(format!("{server}/{name}{query}"))
}

fn is_safe_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Creates the database named in `url` when it does not exist (used by `make run`
/// and service start-up in development; in Kubernetes the migration Job does it).
pub async fn create_database_if_missing(url: &str) -> Result<(), DbError> {
    let (_, name, _) = split_url(url)?;
    if !is_safe_identifier(name) {
        return Err(DbError::Url(format!(
            "database name {name:?} must be [a-z0-9_]"
        )));
    }
    let mut admin = tls::establish(&with_database(url, "postgres")?).await?;
    let exists: i64 = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
    ))
    .get_result::<Count>(&mut admin)
    .await?
    .n;
    if exists == 0 {
        match diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
        {
            Ok(_) => {}
            // Another process created it between our check and our CREATE.
            Err(DieselError::DatabaseError(_, info))
                if info.message().contains("already exists") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A new, migrated, empty database for one test, cloned from a template that
/// is migrated once per migration set and test binary. Safe across the
/// parallel processes nextest starts (an advisory lock guards template creation).
/// Returns the new database's URL.
pub async fn fresh_database(
    server_url: &str,
    label: &str,
    migrations: EmbeddedMigrations,
) -> Result<String, DbError> {
    use diesel::migration::MigrationSource;
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let names = MigrationSource::<diesel::pg::Pg>::migrations(&migrations)
        .map_err(|e| DbError::Migrations(e.to_string()))?;
    for m in &names {
        hasher.update(m.name().to_string().as_bytes());
    }
    // The test binary's build time: a rebuilt binary (maybe with edited migrations) gets a new template.
    if let Ok(modified) = std::env::current_exe()
        .and_then(|p| p.metadata())
        .and_then(|m| m.modified())
    {
        hasher.update(format!("{modified:?}").as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    // The checkout the test binary was built in: several checkouts (worktrees,
    // CI jobs) sharing one server each keep their own templates, so one never
    // drops a template another is cloning.
    let checkout = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let checkout: String = Sha256::digest(checkout.as_bytes())[..3]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let template = format!("tmpl_{label}_{checkout}_{hex}");

    let mut admin = tls::establish(&with_database(server_url, "postgres")?).await?;
    diesel::sql_query("SELECT pg_advisory_lock(727272)")
        .execute(&mut admin)
        .await?;
    let result = async {
        let exists = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM pg_database WHERE datname = '{template}'"
        ))
        .get_result::<Count>(&mut admin)
        .await?
        .n;
        if exists == 0 {
            // Old templates of this label and checkout belong to earlier builds.
            let old: Vec<Name> = diesel::sql_query(format!(
                "SELECT datname AS name FROM pg_database WHERE datname LIKE 'tmpl_{label}_{checkout}_%'"
            ))
            .load(&mut admin)
            .await?;
            for o in old {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", o.name))
                        .execute(&mut admin)
                        .await;
            }
            diesel::sql_query(format!("CREATE DATABASE {template}"))
                .execute(&mut admin)
                .await?;
            migrate(&with_database(server_url, &template)?, migrations).await?;
        }
        Ok::<_, DbError>(())
    }
    .await;
    diesel::sql_query("SELECT pg_advisory_unlock(727272)")
        .execute(&mut admin)
        .await?;
    result?;
    let name = format!("t_{label}_{}", uuid::Uuid::new_v4().simple());
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin)
        .await?;
    with_database(server_url, &name)
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten() {
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5432/admin?sslmode=disable",
                "t_1"
            )
            .unwrap(),
            "postgres://postgres@127.0.0.1:5432/t_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u:p@h/x", "y").unwrap(),
            "postgres://u:p@h/y"
        );
        assert!(with_database("nourl", "y").is_err());
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(is_safe_identifier("admin_api"));
        assert!(!is_safe_identifier("admin; DROP"));
        assert!(!is_safe_identifier(""));
    }
}
