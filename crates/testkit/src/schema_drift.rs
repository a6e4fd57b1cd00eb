//! The one schema-drift check of every service: the `table!` declarations of
//! its `schema.rs` against the migrated database — the same tables (every base
//! table of `public`, partitions excepted), the same columns in the same order.
//!
//! ```ignore
//! let url = testkit::fresh_db("svc", svc::MIGRATIONS).await;
//! testkit::schema_drift::assert_matches(
//!     &url,
//!     testkit::declared_tables!(svc::schema => users, keys),
//!     &["idempotency_keys"], // declared by another crate
//! )
//! .await;
//! ```

use diesel::{QueryableByName, pg::Pg, query_builder::QueryFragment, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// A table as `schema.rs` declares it: its name and its columns in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub table: String,
    pub columns: Vec<String>,
}

/// Reads a table's declaration from the SQL diesel renders for `table.select(all_columns)`.
pub fn declared<Q: QueryFragment<Pg>>(select_all: &Q) -> Declared {
    let sql = diesel::debug_query::<Pg, _>(select_all).to_string();
    let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
    let list = sql
        .strip_prefix("SELECT ")
        .and_then(|rest| rest.split(" FROM ").next())
        .unwrap_or_default();
    let columns = list
        .split(", ")
        .map(|c| unquote(c.rsplit('.').next().unwrap_or(c)))
        .collect();
    let table = sql
        .split(" FROM ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(unquote)
        .unwrap_or_default();
    Declared { table, columns }
}

/// `declared_tables!(path::to::schema => a, b, c)`: the [`Declared`] of each table.
#[macro_export]
macro_rules! declared_tables {
    ($schema:path => $($table:ident),+ $(,)?) => {{
        use $schema as __schema;
        vec![$(
            $crate::schema_drift::declared(&$crate::__diesel::QueryDsl::select(
                __schema::$table::table,
                __schema::$table::all_columns,
            )),
        )+]
    }};
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Panics with a readable diff unless the database at `url` holds exactly the
/// `declared` tables (besides `undeclared`, e.g. tables another crate owns,
/// and diesel's migration bookkeeping) with exactly their columns, in order.
pub async fn assert_matches(url: &str, declared: Vec<Declared>, undeclared: &[&str]) {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
         AND c.relname <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("list tables: {e}"));
    let mut in_db: Vec<String> = tables
        .into_iter()
        .map(|t| t.name)
        .filter(|t| !undeclared.contains(&t.as_str()))
        .collect();
    in_db.sort();
    let mut names: Vec<String> = declared.iter().map(|d| d.table.clone()).collect();
    names.sort();
    assert_eq!(
        names, in_db,
        "schema.rs declares other tables than the migrations create"
    );
    for d in declared {
        let cols: Vec<Name> = diesel::sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&d.table)
        .load(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("columns of {}: {e}", d.table));
        let actual: Vec<String> = cols.into_iter().map(|c| c.name).collect();
        assert_eq!(
            d.columns, actual,
            "schema.rs drifted from the migrations for table {}",
            d.table
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    diesel::table! {
        widgets (id) {
            id -> Int4,
            name -> Text,
            #[sql_name = "type"]
            kind -> Text,
        }
    }

    #[test]
    fn declarations_are_read_from_diesels_sql() {
        let d = declared(&diesel::QueryDsl::select(
            widgets::table,
            widgets::all_columns,
        ));
        assert_eq!(d.table, "widgets");
        assert_eq!(d.columns, ["id", "name", "type"]);
    }
}
