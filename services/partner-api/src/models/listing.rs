//! The one list query of the partner API: a page of a resource for a project
//! (through `crates/query`'s `q[…]` dialect), plus `totalCount` at a bounded cost.
//!
//! `totalCount` strategy (see README, "totalCount"):
//! 1. when the page is the last one (fewer rows than perPage), the total is
//!    `offset + rows` — no second query;
//! 2. otherwise an exact `count(*)` over the same filters runs in a
//!    transaction with its own `statement_timeout` (`query.count_timeout_ms`);
//! 3. when that budget is exceeded, the planner's row estimate for the same
//!    filters is returned instead, and the response carries
//!    `X-Total-Count-Estimated: true`. A budget of 0 skips the exact count.
//!
//! The rows query itself runs under the pool's `statement_timeout` (503
//! `query_timeout` when it fires).

use diesel::{
    pg::Pg,
    query_builder::QueryFragment,
    query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, ThenOrderDsl},
    result::Error as DieselError,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, methods::LoadQuery};
use error_envelope::ApiError;
use query::{Ordering, PageQuery, Predicate};

pub struct Listed<R> {
    pub rows: Vec<R>,
    pub total: i64,
    pub total_exact: bool,
}

/// The three boxed queries of one resource for one project: its rows, their
/// `count(*)`, and a bare select of the same rows (for the planner's estimate).
pub struct Sources<Rows, Count, Plan> {
    pub rows: Rows,
    pub count: Count,
    pub plan: Plan,
}

/// [`Sources`] of table `T` selecting `R`, with `Id` for the estimate.
pub type SourcesOf<T, R, Id> = Sources<
    diesel::dsl::IntoBoxed<'static, diesel::dsl::Select<T, diesel::dsl::AsSelect<R, Pg>>, Pg>,
    diesel::dsl::IntoBoxed<'static, diesel::dsl::Select<T, diesel::dsl::CountStar>, Pg>,
    diesel::dsl::IntoBoxed<'static, diesel::dsl::Select<T, Id>, Pg>,
>;

pub async fn list<QS, R, Rows, Count, Plan>(
    conn: &mut AsyncPgConnection,
    q: &PageQuery<'static, QS, R>,
    sources: Sources<Rows, Count, Plan>,
    count_timeout_ms: u64,
) -> Result<Listed<R>, ApiError>
where
    QS: 'static,
    R: Send + 'static,
    Rows: FilterDsl<Predicate<QS>, Output = Rows>
        + ThenOrderDsl<Ordering<QS>, Output = Rows>
        + OffsetDsl<Output = Rows>
        + LimitDsl<Output = Rows>
        + LoadQuery<'static, AsyncPgConnection, R>
        + Send
        + 'static,
    Count: FilterDsl<Predicate<QS>, Output = Count>
        + LoadQuery<'static, AsyncPgConnection, i64>
        + Send
        + 'static,
    Plan: FilterDsl<Predicate<QS>, Output = Plan> + QueryFragment<Pg> + Send + 'static,
{
    let rows: Vec<R> = q
        .apply(sources.rows)?
        .load(conn)
        .await
        .map_err(query::list_error)?;
    let len = rows.len() as i64;
    let per_page = q.page.limit();
    let offset = q.page.offset();
    if len < per_page && (len > 0 || offset == 0) {
        return Ok(Listed {
            rows,
            total: offset + len,
            total_exact: true,
        });
    }
    let estimate = async |conn: &mut AsyncPgConnection, plan: Plan| {
        query::estimated_rows(conn, q.filter(plan)?).await
    };
    if count_timeout_ms == 0 {
        let estimate = estimate(conn, sources.plan).await?;
        return Ok(Listed {
            rows,
            total: estimate.max(offset + len),
            total_exact: false,
        });
    }
    let count = q.filter(sources.count)?;
    let exact = conn
        .transaction::<i64, DieselError, _>(async move |c| {
            query::set_local_statement_timeout(c, count_timeout_ms).await?;
            count.get_result(c).await
        })
        .await;
    match exact {
        Ok(total) => Ok(Listed {
            rows,
            total,
            total_exact: true,
        }),
        Err(e) if query::is_statement_timeout(&e) => {
            let estimate = estimate(conn, sources.plan).await?;
            Ok(Listed {
                rows,
                total: estimate.max(offset + len),
                total_exact: false,
            })
        }
        Err(e) => Err(query::list_error(e)),
    }
}

/// `sources!(events, EventRow)` in a model: `pub fn sources(project)`, the
/// [`Sources`] of that table for one project.
macro_rules! sources {
    ($table:ident, $row:ty) => {
        /// The project's rows, their count, and a bare select for the planner's estimate.
        pub fn sources(
            project: Uuid,
        ) -> super::listing::SourcesOf<$table::table, $row, $table::id> {
            use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
            super::listing::Sources {
                rows: $table::table
                    .select(<$row>::as_select())
                    .into_boxed()
                    .filter($table::project_id.eq(project)),
                count: $table::table
                    .select(diesel::dsl::count_star())
                    .into_boxed()
                    .filter($table::project_id.eq(project)),
                plan: $table::table
                    .select($table::id)
                    .into_boxed()
                    .filter($table::project_id.eq(project)),
            }
        }
    };
}
pub(crate) use sources;
