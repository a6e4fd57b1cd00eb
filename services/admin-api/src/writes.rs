//! Bound INSERT/UPDATE statements built from whitelisted column names (all
//! `&'static str` from the code) and typed values. Reads after a write go
//! through each model's `find`.
//!
//! Still SQL text (not yet moved to diesel changesets): the write bodies are
//! parsed into `(column, Val)` lists; the next step is one `Insertable` /
//! `AsChangeset` struct per resource parsed straight from the body.

use diesel::{
    pg::Pg,
    sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

/// A value for one column.
#[derive(Debug, Clone)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Tags(Vec<String>),
    Time(Option<OffsetDateTime>),
    Json(serde_json::Value),
}

type Boxed = diesel::query_builder::BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery>;

fn bind(q: Boxed, v: Val) -> Boxed {
    match v {
        Val::Text(s) => q.bind::<Nullable<Text>, _>(s),
        Val::Int(n) => q.bind::<Nullable<BigInt>, _>(n),
        Val::Bool(b) => q.bind::<Bool, _>(b),
        Val::Tags(t) => q.bind::<Array<Text>, _>(t),
        Val::Time(t) => q.bind::<Nullable<Timestamptz>, _>(t),
        Val::Json(j) => q.bind::<Jsonb, _>(j),
    }
}

/// `INSERT INTO table (tenant_id, id, cols…) VALUES (…)`.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    table: &'static str,
    tenant: Uuid,
    id: &str,
    values: Vec<(&'static str, Val)>,
) -> diesel::QueryResult<usize> {
    let cols: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    let placeholders: Vec<String> = (0..values.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "INSERT INTO {table} (tenant_id, id{}{}) VALUES ($1, $2{}{})",
        if cols.is_empty() { "" } else { ", " },
        cols.join(", "),
        if cols.is_empty() { "" } else { ", " },
        placeholders.join(", ")
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed::<Pg>()
        .bind::<SqlUuid, _>(tenant)
        .bind::<Text, _>(id.to_owned());
    for (_, v) in values {
        q = bind(q, v);
    }
    q.execute(conn).await
}

/// `UPDATE table SET updated_at = now(), cols… WHERE tenant_id AND id [AND extra]`; returns rows changed.
pub async fn update(
    conn: &mut AsyncPgConnection,
    table: &'static str,
    tenant: Uuid,
    id: &str,
    sets: Vec<(&'static str, Val)>,
) -> diesel::QueryResult<usize> {
    let mut assignments = vec!["updated_at = now()".to_owned()];
    for (i, (c, _)) in sets.iter().enumerate() {
        assignments.push(format!("{c} = ${}", i + 3));
    }
    let sql = format!(
        "UPDATE {table} SET {} WHERE tenant_id = $1 AND id = $2",
        assignments.join(", ")
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed::<Pg>()
        .bind::<SqlUuid, _>(tenant)
        .bind::<Text, _>(id.to_owned());
    for (_, v) in sets {
        q = bind(q, v);
    }
    q.execute(conn).await
}

/// True when `e` is a unique violation (e.g. a duplicate email or SKU).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// True when `e` is a CHECK violation.
pub fn is_check_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::CheckViolation, _)
    )
}
