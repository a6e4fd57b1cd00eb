//! `users`: people of a generation workspace.

use crate::schema::users;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: String,
    pub tenant_id: Uuid,
    pub email: String,
    pub created_at: OffsetDateTime,
}

pub async fn insert(conn: &mut AsyncPgConnection, user: &User) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
}

/// Newest first, keyset on `id` (UUIDv7 based); fetches `limit + 1`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut q = users::table
        .filter(users::tenant_id.eq(tenant_id))
        .select(User::as_select())
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(users::id.lt(b.to_owned()));
    }
    q.order(users::id.desc()).limit(limit + 1).load(conn).await
}
