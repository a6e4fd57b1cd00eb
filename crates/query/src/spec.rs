//! What a resource lets a client filter and sort by: [`ListSpec`], its
//! [`Field`]s (filterable columns, each with the operations it allows) and
//! [`SortKey`]s (orderable expressions, with the comparisons keyset paging
//! needs). Each field and sort key holds the diesel expression it renders to,
//! so column names come only from `table!` and every value is bound.
//!
//! Declare fields with [`field!`](crate::field) and sort keys with
//! [`sort!`](crate::sort) / [`order!`](crate::order).

use crate::value::{Kind, Value};
use diesel::{
    expression::{BoxableExpression, expression_types::NotSelectable},
    pg::Pg,
    sql_types::{Bool, Nullable},
};
use serde_json::Value as Json;

/// A boxed `WHERE` condition over the query source `QS`.
pub type Predicate<QS> = Box<dyn BoxableExpression<QS, Pg, SqlType = Nullable<Bool>>>;
/// A boxed `ORDER BY` term over `QS`.
pub type Ordering<QS> = Box<dyn BoxableExpression<QS, Pg, SqlType = NotSelectable>>;

/// Boxes a condition (the macros call it; `e` is already nullable).
pub fn predicate<QS, E>(e: E) -> Predicate<QS>
where
    E: BoxableExpression<QS, Pg, SqlType = Nullable<Bool>> + 'static,
{
    Box::new(e)
}

/// Boxes an ordering term.
pub fn ordering<QS, E>(e: E) -> Ordering<QS>
where
    E: BoxableExpression<QS, Pg, SqlType = NotSelectable> + 'static,
{
    Box::new(e)
}

/// `a AND b`.
pub fn and<QS: 'static>(a: Predicate<QS>, b: Predicate<QS>) -> Predicate<QS> {
    use diesel::BoolExpressionMethods;
    predicate(a.and(b))
}

/// `a OR b`.
pub fn or<QS: 'static>(a: Predicate<QS>, b: Predicate<QS>) -> Predicate<QS> {
    use diesel::BoolExpressionMethods;
    predicate(a.or(b))
}

diesel::define_sql_function! {
    /// PostgreSQL `lower(text)`, for case-insensitive equality on a `lower(col)` index.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// An operation on a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    /// One of several values (`= ANY($1)`, one array parameter).
    In,
    Gt,
    Ge,
    Lt,
    Le,
    /// Case-insensitive substring (`ILIKE`, the value escaped).
    Like,
    /// `IS NULL` / `IS NOT NULL`.
    Is,
    /// An array column holds the value.
    Contains,
    /// `lower(col) = lower(value)`.
    EqIgnoreCase,
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    One(Value),
    Many(Vec<Value>),
    /// `true` for `IS NULL`.
    Null(bool),
    /// An `ILIKE` pattern, escaped and wrapped in `%`.
    Pattern(String),
}

type BuildPredicate<QS> = dyn Fn(Op, &Operand) -> Option<Predicate<QS>> + Send + Sync;

/// A filterable column (or expression) of `QS`.
pub struct Field<QS> {
    pub name: &'static str,
    pub kind: Kind,
    pub ops: &'static [Op],
    pub doc: &'static str,
    build: Box<BuildPredicate<QS>>,
}

impl<QS> std::fmt::Debug for Field<QS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .field("ops", &self.ops)
            .finish()
    }
}

impl<QS> Field<QS> {
    pub fn new(
        name: &'static str,
        kind: Kind,
        ops: &'static [Op],
        doc: &'static str,
        build: impl Fn(Op, &Operand) -> Option<Predicate<QS>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            kind,
            ops,
            doc,
            build: Box::new(build),
        }
    }

    pub fn allows(&self, op: Op) -> bool {
        self.ops.contains(&op)
    }

    /// The condition; None when `op`/`operand` do not fit this field (a parser bug, not user input).
    pub fn predicate(&self, op: Op, operand: &Operand) -> Option<Predicate<QS>> {
        (self.build)(op, operand)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// A comparison of a sort expression with a key value (keyset conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

type BuildOrdering<QS> = dyn Fn(Direction) -> Ordering<QS> + Send + Sync;
type BuildCompare<QS> = dyn Fn(Cmp, &Json) -> Option<Predicate<QS>> + Send + Sync;
type KeyOf<R> = dyn Fn(&R) -> Json + Send + Sync;
/// A sort key with its direction, as a request orders by it.
pub type Sorted<'s, QS, R> = (&'s SortKey<QS, R>, Direction);

/// How a keyset sort key compares with a cursor value, and reads its value from a row.
struct Keyset<QS, R> {
    compare: Box<BuildCompare<QS>>,
    key: Box<KeyOf<R>>,
}

/// An orderable expression; with [`sort!`](crate::sort) also keyset-capable
/// (its value in a row, and comparisons with a cursor's value).
pub struct SortKey<QS, R> {
    pub name: &'static str,
    order: Box<BuildOrdering<QS>>,
    keyset: Option<Keyset<QS, R>>,
}

impl<QS, R> std::fmt::Debug for SortKey<QS, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortKey").field("name", &self.name).finish()
    }
}

impl<QS, R> SortKey<QS, R> {
    /// Ordering only (page/perPage lists).
    pub fn ordering_only(
        name: &'static str,
        order: impl Fn(Direction) -> Ordering<QS> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            order: Box::new(order),
            keyset: None,
        }
    }

    /// Ordering plus keyset comparisons and the row's key value.
    pub fn keyset(
        name: &'static str,
        order: impl Fn(Direction) -> Ordering<QS> + Send + Sync + 'static,
        compare: impl Fn(Cmp, &Json) -> Option<Predicate<QS>> + Send + Sync + 'static,
        key: impl Fn(&R) -> Json + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            order: Box::new(order),
            keyset: Some(Keyset {
                compare: Box::new(compare),
                key: Box::new(key),
            }),
        }
    }

    pub fn order(&self, dir: Direction) -> Ordering<QS> {
        (self.order)(dir)
    }

    /// `expr <cmp> key`; None when the key is not of this sort key's type, or it has no keyset.
    pub fn compare(&self, cmp: Cmp, key: &Json) -> Option<Predicate<QS>> {
        self.keyset.as_ref().and_then(|k| (k.compare)(cmp, key))
    }

    /// This key's value in `row` (JSON null without keyset support).
    pub fn key_of(&self, row: &R) -> Json {
        self.keyset
            .as_ref()
            .map(|k| (k.key)(row))
            .unwrap_or(Json::Null)
    }
}

/// A whitelisted `filter[name]` of the admin dialect: a field and one operation.
/// With [`Op::In`], one value is an equality and a comma-separated list is `= ANY`.
#[derive(Debug, Clone, Copy)]
pub struct NamedFilter {
    pub name: &'static str,
    pub field: &'static str,
    pub op: Op,
    pub doc: &'static str,
}

/// Everything a list endpoint of one resource accepts.
#[derive(Debug)]
pub struct ListSpec<QS, R> {
    /// Singular name for messages (`customer`).
    pub resource: &'static str,
    pub fields: Vec<Field<QS>>,
    /// The admin dialect's `filter[…]` names (the partner dialect addresses `fields` directly).
    pub filters: Vec<NamedFilter>,
    pub sorts: Vec<SortKey<QS, R>>,
    /// The unique last sort key (the id), in the direction of the last key.
    pub tiebreak: SortKey<QS, R>,
    pub default_sort: &'static [(&'static str, Direction)],
    /// Accepted values of `include` (admin).
    pub includes: &'static [&'static str],
}

impl<QS, R> ListSpec<QS, R> {
    pub fn field(&self, name: &str) -> Option<&Field<QS>> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn sort(&self, name: &str) -> Option<&SortKey<QS, R>> {
        self.sorts.iter().find(|s| s.name == name)
    }
}

/// A validated condition of a list request.
pub struct Condition<'s, QS> {
    pub field: &'s Field<QS>,
    pub op: Op,
    pub operand: Operand,
    /// The parameter as the client wrote it (for the cursor shape and messages).
    pub parameter: String,
}

impl<QS> std::fmt::Debug for Condition<'_, QS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("field", &self.field.name)
            .field("op", &self.op)
            .field("operand", &self.operand)
            .finish()
    }
}

impl<QS> Condition<'_, QS> {
    pub fn predicate(&self) -> Result<Predicate<QS>, error_envelope::ApiError> {
        self.field.predicate(self.op, &self.operand).ok_or_else(|| {
            error_envelope::ApiError::internal(format!(
                "field {} cannot render {:?} with {:?}",
                self.field.name, self.op, self.operand
            ))
        })
    }
}

/// Escapes `\`, `%` and `_` so the value matches literally inside ILIKE, and wraps it in `%`.
pub fn like_pattern(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('%');
    for ch in value.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// A [`Field`] over a diesel expression: `field!(name, expr, RustType, kind, [ops…], doc)`.
/// Ops: `Eq Ne In Gt Ge Lt Le Like LikeJson Is Contains EqIgnoreCase`
/// (`LikeJson` is `Like` over the text of a JSON column).
#[macro_export]
macro_rules! field {
    ($name:expr, $expr:expr, $ty:ty, $kind:expr, [$($op:ident),+ $(,)?], $doc:expr $(,)?) => {
        $crate::Field::new(
            $name,
            $kind,
            &[$($crate::__op_of!($op)),+],
            $doc,
            move |op: $crate::Op, operand: &$crate::Operand| {
                #[allow(unused_imports)]
                use $crate::__diesel::prelude::*;
                $(
                    if op == $crate::__op_of!($op) {
                        return $crate::__predicate!($op, $expr, $ty, operand);
                    }
                )+
                None
            },
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __op_of {
    (LikeJson) => {
        $crate::Op::Like
    };
    ($op:ident) => {
        $crate::Op::$op
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __predicate {
    (@cmp $method:ident, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::One(v) => Some($crate::predicate(
                $e.$method(<$ty as $crate::FromValue>::from_value(v)?).nullable(),
            )),
            _ => None,
        }
    };
    (Eq, $e:expr, $ty:ty, $operand:expr) => { $crate::__predicate!(@cmp eq, $e, $ty, $operand) };
    (Ne, $e:expr, $ty:ty, $operand:expr) => { $crate::__predicate!(@cmp ne, $e, $ty, $operand) };
    (Gt, $e:expr, $ty:ty, $operand:expr) => { $crate::__predicate!(@cmp gt, $e, $ty, $operand) };
    (Ge, $e:expr, $ty:ty, $operand:expr) => { $crate::__predicate!(@cmp ge, $e, $ty, $operand) };
    (Lt, $e:expr, $ty:ty, $operand:expr) => { $crate::__predicate!(@cmp lt, $e, $ty, $operand) };
    (Le, $e:expr, $ty:ty, $operand:expr) => { $crate::__predicate!(@cmp le, $e, $ty, $operand) };
    (In, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::Many(vs) => {
                let vs: Option<Vec<$ty>> = vs.iter().map(<$ty as $crate::FromValue>::from_value).collect();
                Some($crate::predicate($e.eq_any(vs?).nullable()))
            }
            _ => None,
        }
    };
    (Like, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::Pattern(p) => Some($crate::predicate($e.ilike(p.clone()).nullable())),
            _ => None,
        }
    };
    (LikeJson, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::Pattern(p) => Some($crate::predicate(
                $e.cast::<$crate::__diesel::sql_types::Text>().ilike(p.clone()).nullable(),
            )),
            _ => None,
        }
    };
    (Is, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::Null(true) => Some($crate::predicate($e.is_null().nullable())),
            $crate::Operand::Null(false) => Some($crate::predicate($e.is_not_null().nullable())),
            _ => None,
        }
    };
    (Contains, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::One(v) => Some($crate::predicate(
                $e.contains(vec![<$ty as $crate::FromValue>::from_value(v)?]).nullable(),
            )),
            _ => None,
        }
    };
    (EqIgnoreCase, $e:expr, $ty:ty, $operand:expr) => {
        match $operand {
            $crate::Operand::One(v) => Some($crate::predicate(
                $crate::lower($e)
                    .eq($crate::lower(<$ty as $crate::FromValue>::from_value(v)?))
                    .nullable(),
            )),
            _ => None,
        }
    };
}

/// A keyset-capable [`SortKey`]: `sort!(name, expr, KeyType, |row: &Row| key)`.
/// For a nullable column sorted through `COALESCE(col, fallback)`, the key type
/// is `Option<T>` and `null = fallback` says what a null key compares as.
#[macro_export]
macro_rules! sort {
    ($name:expr, $expr:expr, $ty:ty, $key:expr $(,)?) => {
        $crate::SortKey::keyset(
            $name,
            $crate::__order_fn!($expr),
            move |cmp: $crate::Cmp, key: &$crate::__Json| {
                #[allow(unused_imports)]
                use $crate::__diesel::prelude::*;
                let v = <$ty as $crate::KeyValue>::from_json(key)?;
                Some($crate::__cmp!(cmp, $expr, v))
            },
            move |row| $crate::KeyValue::to_json(&($key)(row)),
        )
    };
    ($name:expr, $expr:expr, $ty:ty, $key:expr, null = $fallback:expr $(,)?) => {
        $crate::SortKey::keyset(
            $name,
            $crate::__order_fn!($expr),
            move |cmp: $crate::Cmp, key: &$crate::__Json| {
                #[allow(unused_imports)]
                use $crate::__diesel::prelude::*;
                Some(match <Option<$ty> as $crate::KeyValue>::from_json(key)? {
                    Some(v) => $crate::__cmp!(cmp, $expr, v),
                    None => $crate::__cmp!(cmp, $expr, $fallback),
                })
            },
            move |row| $crate::KeyValue::to_json(&($key)(row)),
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __order_fn {
    ($expr:expr) => {
        move |dir: $crate::Direction| {
            #[allow(unused_imports)]
            use $crate::__diesel::prelude::*;
            match dir {
                $crate::Direction::Asc => $crate::ordering($expr.asc()),
                $crate::Direction::Desc => $crate::ordering($expr.desc()),
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __cmp {
    ($cmp:expr, $expr:expr, $v:expr) => {
        match $cmp {
            $crate::Cmp::Gt => $crate::predicate($expr.gt($v).nullable()),
            $crate::Cmp::Ge => $crate::predicate($expr.ge($v).nullable()),
            $crate::Cmp::Lt => $crate::predicate($expr.lt($v).nullable()),
            $crate::Cmp::Le => $crate::predicate($expr.le($v).nullable()),
            $crate::Cmp::Eq => $crate::predicate($expr.eq($v).nullable()),
        }
    };
}

/// An ordering-only [`SortKey`] (page/perPage lists): `order!(name, expr)`.
#[macro_export]
macro_rules! order {
    ($name:expr, $expr:expr $(,)?) => {
        $crate::SortKey::ordering_only($name, $crate::__order_fn!($expr))
    };
}

/// `expr COLLATE "C"`: byte order, as the `… COLLATE "C"` sort indexes are built.
#[derive(Debug, Clone, Copy)]
pub struct CollateC<E>(pub E);

impl<E: diesel::Expression> diesel::Expression for CollateC<E> {
    type SqlType = E::SqlType;
}

impl<E: diesel::query_builder::QueryFragment<Pg>> diesel::query_builder::QueryFragment<Pg>
    for CollateC<E>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" COLLATE \"C\"");
        Ok(())
    }
}

impl<E: diesel::query_builder::QueryId> diesel::query_builder::QueryId for CollateC<E> {
    type QueryId = CollateC<E::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = E::HAS_STATIC_QUERY_ID;
}

impl<E, QS> diesel::AppearsOnTable<QS> for CollateC<E>
where
    E: diesel::AppearsOnTable<QS>,
    Self: diesel::Expression,
{
}

impl<E, QS> diesel::SelectableExpression<QS> for CollateC<E>
where
    E: diesel::SelectableExpression<QS>,
    Self: diesel::AppearsOnTable<QS>,
{
}

impl<E: diesel::expression::ValidGrouping<GB>, GB> diesel::expression::ValidGrouping<GB>
    for CollateC<E>
{
    type IsAggregate = E::IsAggregate;
}

/// The `timestamptz` constant `'-infinity'`: what `COALESCE(nullable_ts, '-infinity')`
/// sort indexes hold for NULL (a literal: a bound value would not match the index expression).
#[derive(Debug, Clone, Copy, Default)]
pub struct NegInfinity;

impl diesel::Expression for NegInfinity {
    type SqlType = diesel::sql_types::Timestamptz;
}

impl diesel::query_builder::QueryFragment<Pg> for NegInfinity {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("'-infinity'::timestamptz");
        Ok(())
    }
}

impl diesel::query_builder::QueryId for NegInfinity {
    type QueryId = NegInfinity;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<QS> diesel::AppearsOnTable<QS> for NegInfinity {}
impl<QS> diesel::SelectableExpression<QS> for NegInfinity {}

impl<GB> diesel::expression::ValidGrouping<GB> for NegInfinity {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

diesel::define_sql_function! {
    /// `COALESCE(x, y)` for a nullable timestamp with a non-null fallback.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, y: diesel::sql_types::Timestamptz) -> diesel::sql_types::Timestamptz;
}

/// A list's parameters as documentation (OpenAPI generators): no diesel types.
#[derive(Debug, Clone)]
pub struct ListDoc {
    pub resource: &'static str,
    /// `(filter name, its doc, the value kind, the operation)`.
    pub filters: Vec<(&'static str, &'static str, Kind, Op)>,
    pub sorts: Vec<&'static str>,
    /// As a client writes it (`-created_at`).
    pub default_sort: String,
    pub includes: &'static [&'static str],
}

impl<QS, R> ListSpec<QS, R> {
    pub fn describe(&self) -> ListDoc {
        ListDoc {
            resource: self.resource,
            filters: self
                .filters
                .iter()
                .filter_map(|f| {
                    self.field(f.field)
                        .map(|field| (f.name, f.doc, field.kind, f.op))
                })
                .collect(),
            sorts: self.sorts.iter().map(|s| s.name).collect(),
            default_sort: self
                .default_sort
                .iter()
                .map(|(n, d)| format!("{}{n}", if *d == Direction::Desc { "-" } else { "" }))
                .collect::<Vec<_>>()
                .join(","),
            includes: self.includes,
        }
    }
}
