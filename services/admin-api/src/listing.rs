//! The admin API's lists on `crates/query` (the `filter[…]`/`sort`/`limit`/
//! `cursor` dialect): value kinds and filters shared by several resources,
//! and the two read helpers every resource uses — [`load_page`] (one keyset
//! page of a boxed query that already holds the tenant and scope conditions)
//! and [`find`] (one row, or 404 naming the resource).

use diesel::pg::Pg;
use diesel_async::{AsyncPgConnection, RunQueryDsl, methods::LoadQuery};
use error_envelope::ApiError;
use query::{
    CursorCodec, CursorPage, CursorQuery, Kind, NamedFilter, Op, Ordering, Predicate, Value,
};

pub use query::filter_dialect::no_query;

/// A resource's rows selected into `R` from table `T`, boxed so filters and
/// sorts can be added at run time.
pub type Boxed<T, R> =
    diesel::dsl::IntoBoxed<'static, diesel::dsl::Select<T, diesel::dsl::AsSelect<R, Pg>>, Pg>;

/// A decimal amount with at most 2 decimals, as integer cents.
pub const MONEY: Kind = Kind::Custom(
    |raw| crate::money::parse_cents(raw).map(Value::Int),
    "a decimal amount with at most 2 decimals",
);

/// A `YYYY-MM-DD` UTC day (its midnight; as an upper bound, through that day).
pub const DAY: Kind = Kind::Custom(
    |raw| {
        crate::time_fmt::parse_date(raw)
            .filter(|_| query::value::is_bare_date(raw))
            .map(|d| Value::Timestamp(d.midnight().assume_utc()))
    },
    "a YYYY-MM-DD date",
);

/// `filter[created_after]`, for every resource with a `created_at` field.
pub const CREATED_AFTER: NamedFilter = NamedFilter {
    name: "created_after",
    field: "created_at",
    op: Op::Ge,
    doc: "created at or after this instant",
};

/// `filter[created_before]`.
pub const CREATED_BEFORE: NamedFilter = NamedFilter {
    name: "created_before",
    field: "created_at",
    op: Op::Lt,
    doc: "created before this instant",
};

pub fn tenant_param_error(field: &str) -> ApiError {
    ApiError::validation(
        field,
        format!("{field} is not accepted: the shop is the one of the API key"),
    )
}

/// A boxed query over `QS` that a keyset page can be cut from, loading `R`s.
pub trait PageSource<QS, R>:
    diesel::query_dsl::methods::FilterDsl<Predicate<QS>, Output = Self>
    + diesel::query_dsl::methods::ThenOrderDsl<Ordering<QS>, Output = Self>
    + diesel::query_dsl::methods::LimitDsl<Output = Self>
    + LoadQuery<'static, AsyncPgConnection, R>
    + Send
    + 'static
{
}

impl<T, QS, R> PageSource<QS, R> for T where
    T: diesel::query_dsl::methods::FilterDsl<Predicate<QS>, Output = T>
        + diesel::query_dsl::methods::ThenOrderDsl<Ordering<QS>, Output = T>
        + diesel::query_dsl::methods::LimitDsl<Output = T>
        + LoadQuery<'static, AsyncPgConnection, R>
        + Send
        + 'static
{
}

/// One keyset page of `base` (which holds the tenant and `scope` conditions)
/// for the validated `list`.
pub async fn load_page<QS: 'static, R: Send + 'static>(
    conn: &mut AsyncPgConnection,
    codec: &CursorCodec,
    list: &CursorQuery<'static, QS, R>,
    base: impl PageSource<QS, R>,
    scope: &str,
) -> Result<CursorPage<R>, ApiError> {
    let (q, pager) = list.apply(base, codec, scope)?;
    let rows: Vec<R> = q.load(conn).await.map_err(query::list_error)?;
    Ok(pager.page(rows))
}

/// The one row of `q` (already narrowed to an id), or 404 `not_found` naming `resource`.
pub async fn find<R, Q>(conn: &mut AsyncPgConnection, resource: &str, q: Q) -> Result<R, ApiError>
where
    R: Send + 'static,
    Q: LoadQuery<'static, AsyncPgConnection, R> + Send + 'static,
{
    let mut rows: Vec<R> = q.load(conn).await.map_err(query::list_error)?;
    if rows.is_empty() {
        return Err(ApiError::not_found(resource));
    }
    Ok(rows.swap_remove(0))
}

/// `finder!("customer", CustomerRow)` in a model: `pub async fn find(conn, tenant, id)`, one
/// row of the model's `by_id(tenant, id)` or 404 naming the resource. A concrete function per
/// model (write effects call it inside their boxed futures, where a generic one does not infer).
macro_rules! finder {
    ($resource:literal, $row:ty) => {
        /// One row of the shop by id, or 404.
        pub async fn find(
            conn: &mut diesel_async::AsyncPgConnection,
            tenant: uuid::Uuid,
            id: &str,
        ) -> Result<$row, error_envelope::ApiError> {
            use diesel::OptionalExtension;
            use diesel_async::RunQueryDsl;
            by_id(tenant, id)
                .first(conn)
                .await
                .optional()
                .map_err(query::list_error)?
                .ok_or_else(|| error_envelope::ApiError::not_found($resource))
        }
    };
}
pub(crate) use finder;

/// `exists_fn!(customers)` in a model: `pub async fn exists(conn, tenant, id)` on that table
/// (the parent check of a relationship list).
macro_rules! exists_fn {
    ($table:ident) => {
        /// Whether the shop has this row (the parent of a relationship list).
        pub async fn exists(
            conn: &mut diesel_async::AsyncPgConnection,
            tenant: uuid::Uuid,
            id: &str,
        ) -> diesel::QueryResult<bool> {
            use diesel_async::RunQueryDsl;
            diesel::select(diesel::dsl::exists(
                $table::table
                    .filter($table::tenant_id.eq(tenant))
                    .filter($table::id.eq(id)),
            ))
            .get_result(conn)
            .await
        }
    };
}
pub(crate) use exists_fn;

/// `tenant_query!(base, by_id, customers, CustomerRow)` in a model: `base(tenant)`, the
/// shop's rows of that table selected into the row type (boxed), and `by_id(tenant, id)`.
macro_rules! tenant_query {
    ($base:ident, $by_id:ident, $table:ident, $row:ty) => {
        /// The shop's rows.
        pub fn $base(tenant: uuid::Uuid) -> $crate::listing::Boxed<$table::table, $row> {
            $table::table
                .select(<$row>::as_select())
                .into_boxed()
                .filter($table::tenant_id.eq(tenant))
        }

        /// One row of the shop.
        pub fn $by_id(tenant: uuid::Uuid, id: &str) -> $crate::listing::Boxed<$table::table, $row> {
            $base(tenant).filter($table::id.eq(id.to_owned()))
        }
    };
}
pub(crate) use tenant_query;
