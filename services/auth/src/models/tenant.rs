//! `tenants`: shops, projects and workspaces.

use crate::schema::tenants;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants, check_for_backend(diesel::pg::Pg))]
pub struct Tenant {
    pub id: Uuid,
    pub product: String,
    pub name: String,
    pub public_id: Option<String>,
    pub tier: String,
    pub created_at: OffsetDateTime,
}

pub async fn insert(conn: &mut AsyncPgConnection, tenant: &Tenant) -> QueryResult<Tenant> {
    diesel::insert_into(tenants::table)
        .values(tenant)
        .returning(Tenant::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Tenant> {
    tenants::table
        .find(id)
        .select(Tenant::as_select())
        .first(conn)
        .await
}

pub async fn find_by_public_id(
    conn: &mut AsyncPgConnection,
    public_id: &str,
) -> QueryResult<Tenant> {
    tenants::table
        .filter(tenants::public_id.eq(public_id))
        .select(Tenant::as_select())
        .first(conn)
        .await
}

/// Newest first, keyset on `id` (UUIDv7, time-ordered); fetches `limit + 1`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    product: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Tenant>> {
    let mut q = tenants::table.select(Tenant::as_select()).into_boxed();
    if let Some(p) = product {
        q = q.filter(tenants::product.eq(p.to_owned()));
    }
    if let Some(b) = before {
        q = q.filter(tenants::id.lt(b));
    }
    q.order(tenants::id.desc())
        .limit(limit + 1)
        .load(conn)
        .await
}
