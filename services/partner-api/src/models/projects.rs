//! `projects`: public project ids (`proj_…`) known to this service and their tenant.

use crate::schema::projects;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, upsert::excluded};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Where a mapping came from: a verified internal JWT, auth's ResolveProject, or `partner-api seed`.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    Jwt,
    Auth,
    Seed,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Jwt => "jwt",
            Origin::Auth => "auth",
            Origin::Seed => "seed",
        }
    }
}

pub async fn find(conn: &mut AsyncPgConnection, public_id: &str) -> QueryResult<Option<Uuid>> {
    projects::table
        .filter(projects::public_id.eq(public_id))
        .select(projects::tenant_id)
        .first(conn)
        .await
        .optional()
}

pub async fn upsert(
    conn: &mut AsyncPgConnection,
    public_id: &str,
    tenant: Uuid,
    origin: Origin,
) -> QueryResult<usize> {
    diesel::insert_into(projects::table)
        .values((
            projects::public_id.eq(public_id),
            projects::tenant_id.eq(tenant),
            projects::origin.eq(origin.as_str()),
        ))
        .on_conflict(projects::public_id)
        .do_update()
        .set((
            projects::tenant_id.eq(excluded(projects::tenant_id)),
            projects::origin.eq(excluded(projects::origin)),
            projects::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
}
