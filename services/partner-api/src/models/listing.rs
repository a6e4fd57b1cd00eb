//! The one list query: a page of a [`Resource`](crate::dsl::Resource) for a
//! project, plus `totalCount` at a bounded cost.
//!
//! `totalCount` strategy (see README, "totalCount"):
//! 1. when the page is the last one (fewer rows than perPage), the total is
//!    `offset + rows` — no second query;
//! 2. otherwise an exact `count(*)` over the same filters runs under
//!    `SET LOCAL statement_timeout` (`query.count_timeout_ms`);
//! 3. when that budget is exceeded, the planner's row estimate for the same
//!    filters is returned instead, and the response carries
//!    `X-Total-Count-Estimated: true`. A budget of 0 skips the exact count.

use super::{Count, bind_all};
use crate::dsl::{Bind, ListQuery};
use diesel::{QueryableByName, pg::Pg, result::Error as DieselError, sql_query, sql_types};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use error_envelope::ApiError;
use uuid::Uuid;

pub struct Listed<R> {
    pub rows: Vec<R>,
    pub total: i64,
    pub total_exact: bool,
}

pub async fn list<R>(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    q: &ListQuery,
    count_timeout_ms: u64,
) -> Result<Listed<R>, ApiError>
where
    R: QueryableByName<Pg> + Send + 'static,
{
    let r = q.resource;
    let (cond, binds) = q.where_sql(2);
    let n = 2 + binds.len();
    let sql = format!(
        "SELECT {} FROM {} WHERE project_id = $1{cond}{} LIMIT ${n} OFFSET ${}",
        r.select,
        r.table,
        q.order_sql(),
        n + 1
    );
    let per_page = i64::from(q.page.per_page);
    let offset = q.page.offset();
    let mut all = binds.clone();
    all.push(Bind::BigInt(per_page));
    all.push(Bind::BigInt(offset));
    let rows: Vec<R> = bind_all(
        sql_query(sql)
            .into_boxed()
            .bind::<sql_types::Uuid, _>(project),
        all,
    )
    .load(conn)
    .await?;
    let len = rows.len() as i64;
    if len < per_page && (len > 0 || offset == 0) {
        return Ok(Listed {
            rows,
            total: offset + len,
            total_exact: true,
        });
    }
    let where_sql = format!("FROM {} WHERE project_id = $1{cond}", r.table);
    if count_timeout_ms == 0 {
        let estimate = estimated_count(conn, project, &where_sql, binds).await?;
        return Ok(Listed {
            rows,
            total: estimate.max(offset + len),
            total_exact: false,
        });
    }
    match exact_count(conn, project, &where_sql, &binds, count_timeout_ms).await {
        Ok(total) => Ok(Listed {
            rows,
            total,
            total_exact: true,
        }),
        Err(DieselError::DatabaseError(_, info))
            if info.message().contains("statement timeout") =>
        {
            let estimate = estimated_count(conn, project, &where_sql, binds).await?;
            Ok(Listed {
                rows,
                total: estimate.max(offset + len),
                total_exact: false,
            })
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn exact_count(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    where_sql: &str,
    binds: &[Bind],
    timeout_ms: u64,
) -> Result<i64, DieselError> {
    let sql = format!("SELECT count(*) AS n {where_sql}");
    let binds = binds.to_vec();
    conn.transaction::<i64, DieselError, _>(async move |c| {
        sql_query(format!("SET LOCAL statement_timeout = {timeout_ms}"))
            .execute(c)
            .await?;
        let count: Count = bind_all(
            sql_query(sql)
                .into_boxed()
                .bind::<sql_types::Uuid, _>(project),
            binds,
        )
        .get_result(c)
        .await?;
        Ok(count.n)
    })
    .await
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = sql_types::Json)]
    #[diesel(column_name = "QUERY PLAN")]
    plan: serde_json::Value,
}

async fn estimated_count(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    where_sql: &str,
    binds: Vec<Bind>,
) -> Result<i64, ApiError> {
    let sql = format!("EXPLAIN (FORMAT JSON) SELECT 1 {where_sql}");
    let plan: Plan = bind_all(
        sql_query(sql)
            .into_boxed()
            .bind::<sql_types::Uuid, _>(project),
        binds,
    )
    .get_result(conn)
    .await?;
    Ok(plan.plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64)
}
