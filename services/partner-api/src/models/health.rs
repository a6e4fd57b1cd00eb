//! Figures for `GET /api/partner/health`, by arrival time (`received_at`: "when the
//! last event was received", so a batch of old offline events counts as now). Every
//! sub-query is served by the `(project_id, received_at DESC)` indexes: max() becomes
//! a backward index probe per partition, the one-hour counts index range scans.

use diesel::{QueryResult, QueryableByName, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, QueryableByName)]
pub struct HealthRow {
    #[diesel(sql_type = st::Nullable<st::Timestamptz>)]
    pub last_event_at: Option<OffsetDateTime>,
    #[diesel(sql_type = st::Nullable<st::Timestamptz>)]
    pub last_log_at: Option<OffsetDateTime>,
    #[diesel(sql_type = st::BigInt)]
    pub events_last_hour: i64,
    #[diesel(sql_type = st::BigInt)]
    pub logs_last_hour: i64,
    #[diesel(sql_type = st::BigInt)]
    pub sessions_last_hour: i64,
}

pub async fn figures(conn: &mut AsyncPgConnection, project: Uuid) -> QueryResult<HealthRow> {
    sql_query(
        "SELECT \
           (SELECT max(received_at) FROM events WHERE project_id = $1) AS last_event_at, \
           (SELECT max(received_at) FROM logs WHERE project_id = $1) AS last_log_at, \
           (SELECT count(*) FROM events WHERE project_id = $1 AND received_at >= now() - interval '1 hour') AS events_last_hour, \
           (SELECT count(*) FROM logs WHERE project_id = $1 AND received_at >= now() - interval '1 hour') AS logs_last_hour, \
           (SELECT count(*) FROM sessions WHERE project_id = $1 AND created_at >= now() - interval '1 hour') AS sessions_last_hour",
    )
    .bind::<st::Uuid, _>(project)
    .get_result(conn)
    .await
}
