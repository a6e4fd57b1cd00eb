//! Both dialects rendered through diesel against a real PostgreSQL table.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on broken fixtures by design"
)]

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use query::{
    CursorCodec, CursorQuery, Direction, Kind, ListSpec, NamedFilter, Op, PageLimits, PageQuery,
    field, order, sort,
};
use std::{sync::LazyLock, time::Duration};
use time::OffsetDateTime;

const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("tests/migrations");

diesel::table! {
    items (id) {
        id -> Text,
        n -> Integer,
        name -> Text,
        at -> Timestamptz,
        seen_at -> Nullable<Timestamptz>,
        tags -> Array<Text>,
        doc -> Jsonb,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = items)]
struct Item {
    id: String,
    n: i32,
    name: String,
    at: OffsetDateTime,
}

type Spec = ListSpec<items::table, Item>;

static SPEC: LazyLock<Spec> = LazyLock::new(|| ListSpec {
    resource: "item",
    fields: vec![
        field!(
            "id",
            items::id,
            String,
            Kind::PrefixedText("it_"),
            [Eq, Ne, In],
            "id"
        ),
        field!(
            "n",
            items::n,
            i32,
            Kind::Int,
            [Eq, Ne, In, Ge, Le],
            "a number"
        ),
        field!(
            "name",
            items::name,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, EqIgnoreCase],
            "name"
        ),
        field!(
            "at",
            items::at,
            OffsetDateTime,
            Kind::Timestamp,
            [Eq, Ge, Le, Lt],
            "when"
        ),
        field!(
            "seenAt",
            items::seen_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Eq, Is],
            "seen"
        ),
        field!("tags", items::tags, String, Kind::Text, [Contains], "tag"),
        field!(
            "doc",
            items::doc,
            String,
            Kind::Json,
            [LikeJson],
            "document"
        ),
    ],
    filters: vec![
        NamedFilter {
            name: "n",
            field: "n",
            op: Op::In,
            doc: "n (one or more)",
        },
        NamedFilter {
            name: "n_min",
            field: "n",
            op: Op::Ge,
            doc: "n at least",
        },
        NamedFilter {
            name: "name",
            field: "name",
            op: Op::EqIgnoreCase,
            doc: "name",
        },
        NamedFilter {
            name: "tag",
            field: "tags",
            op: Op::Contains,
            doc: "tag",
        },
        NamedFilter {
            name: "until",
            field: "at",
            op: Op::Le,
            doc: "at or before (a day: through it)",
        },
    ],
    sorts: vec![
        sort!("n", items::n, i32, |r: &Item| r.n),
        sort!("name", items::name, String, |r: &Item| r.name.clone()),
        sort!("at", items::at, OffsetDateTime, |r: &Item| r.at),
        order!("seenAt", items::seen_at),
    ],
    tiebreak: sort!("id", items::id, String, |r: &Item| r.id.clone()),
    default_sort: &[("at", Direction::Desc)],
    includes: &[],
});

const LIMITS: PageLimits = PageLimits {
    default_per_page: 10,
    max_per_page: 50,
    max_result_window: 100,
    max_in_values: 5,
};

async fn seeded() -> (String, AsyncPgConnection) {
    let url = db::fresh_database(&testkit::pg_url(), "query", MIGRATIONS)
        .await
        .unwrap();
    let mut c = AsyncPgConnection::establish(&url).await.unwrap();
    diesel::sql_query(
        "INSERT INTO items (id, n, name, at, seen_at, tags, doc) \
         SELECT 'it_' || lpad(i::text, 3, '0'), i % 7, 'Name ' || (i % 5), \
                '2026-04-01T00:00:00Z'::timestamptz + i * interval '7 hours', \
                CASE WHEN i % 3 = 0 THEN now() END, \
                CASE WHEN i % 4 = 0 THEN ARRAY['vip'] ELSE ARRAY['x'] END, \
                jsonb_build_object('plan', CASE WHEN i % 10 = 0 THEN 'gold_50%' ELSE 'basic' END) \
         FROM generate_series(1, 57) AS i",
    )
    .execute(&mut c)
    .await
    .unwrap();
    (url, c)
}

async fn cursor_page(
    c: &mut AsyncPgConnection,
    codec: &CursorCodec,
    qs: &str,
) -> Result<(Vec<Item>, Option<String>), error_envelope::ApiError> {
    let list = CursorQuery::parse(&SPEC, qs)?;
    let base = items::table.select(Item::as_select()).into_boxed();
    let (q, pager) = list.apply(base, codec, "")?;
    let rows: Vec<Item> = q.load(c).await.map_err(query::list_error)?;
    let page = pager.page(rows);
    Ok((page.rows, page.pagination.next_cursor))
}

#[tokio::test]
async fn keyset_walk_in_mixed_directions_equals_one_sorted_read() {
    let (_, mut c) = seeded().await;
    let codec = CursorCodec::new("k");
    let mut all: Vec<Item> = items::table
        .select(Item::as_select())
        .load(&mut c)
        .await
        .unwrap();
    // -n, name (ascending), then id in the last key's direction
    all.sort_by(|a, b| {
        b.n.cmp(&a.n)
            .then(a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    });
    let mut walked = Vec::new();
    let mut qs = "sort=-n,name&limit=8".to_owned();
    loop {
        let (rows, next) = cursor_page(&mut c, &codec, &qs).await.unwrap();
        walked.extend(rows.into_iter().map(|r| r.id));
        match next {
            Some(cur) => qs = format!("sort=-n,name&limit=8&cursor={cur}"),
            None => break,
        }
    }
    let expected: Vec<String> = all.into_iter().map(|r| r.id).collect();
    assert_eq!(walked, expected);

    // a cursor replayed with another sort is refused
    let (_, next) = cursor_page(&mut c, &codec, "sort=n&limit=5").await.unwrap();
    let e = cursor_page(
        &mut c,
        &codec,
        &format!("sort=-n&limit=5&cursor={}", next.unwrap()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "invalid_cursor");
}

#[tokio::test]
async fn named_filters_render_their_operation() {
    let (_, mut c) = seeded().await;
    let codec = CursorCodec::new("k");
    let ids = |rows: Vec<Item>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let (rows, _) = cursor_page(&mut c, &codec, "filter[n]=1,2&limit=100")
        .await
        .unwrap();
    assert!(
        rows.iter().all(|r| r.n == 1 || r.n == 2) && rows.len() == 17,
        "{rows:?}"
    );
    let (rows, _) = cursor_page(
        &mut c,
        &codec,
        "filter[name]=NAME%203&filter[n_min]=5&limit=100",
    )
    .await
    .unwrap();
    assert!(
        rows.iter().all(|r| r.name == "Name 3" && r.n >= 5),
        "{rows:?}"
    );
    let (rows, _) = cursor_page(&mut c, &codec, "filter[tag]=vip&limit=100")
        .await
        .unwrap();
    assert_eq!(rows.len(), 14);
    // a bare date as an upper bound includes that whole day (it_001..it_003 are on 2026-04-01)
    let (rows, _) = cursor_page(&mut c, &codec, "filter[until]=2026-04-01&sort=at")
        .await
        .unwrap();
    assert_eq!(ids(rows), ["it_001", "it_002", "it_003"]);
    for (bad, parameter) in [
        ("filter[nope]=1", "filter[nope]"),
        ("filter[n]=x", "filter[n]"),
        ("filter[name]=a%00b", "filter[name]"),
        ("sort=doc", "sort"),
        ("limit=500", "limit"),
        ("shop_id=1", "shop_id"),
    ] {
        let e = cursor_page(&mut c, &codec, bad).await.unwrap_err();
        assert_eq!(e.code(), "validation_failed", "{bad}");
        assert_eq!(e.details()["parameter"], parameter, "{bad}");
    }
}

async fn q_page(
    c: &mut AsyncPgConnection,
    qs: &str,
) -> Result<(Vec<Item>, i64), error_envelope::ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(qs).unwrap();
    let list = PageQuery::parse(&SPEC, &pairs, &LIMITS, "projectId")?;
    let rows: Vec<Item> = list
        .apply(items::table.select(Item::as_select()).into_boxed())?
        .load(c)
        .await
        .map_err(query::list_error)?;
    let total: i64 = list
        .filter(items::table.count().into_boxed())?
        .get_result(c)
        .await
        .map_err(query::list_error)?;
    Ok((rows, total))
}

#[tokio::test]
async fn q_dialect_filters_orders_and_pages() {
    let (_, mut c) = seeded().await;
    let (rows, total) = q_page(&mut c, "q[doc__like]=50%&q[perPage]=3")
        .await
        .unwrap();
    assert_eq!(total, 5, "the % is matched literally");
    assert_eq!(rows.len(), 3);
    let (_, total) = q_page(&mut c, "q[seenAt__is]=null").await.unwrap();
    assert_eq!(total, 38);
    let (rows, total) = q_page(
        &mut c,
        "q[n__in]=0,6&q[n__order]=asc&q[page]=2&q[perPage]=5",
    )
    .await
    .unwrap();
    assert_eq!(total, 16);
    assert_eq!(
        rows.iter().map(|r| r.n).collect::<Vec<_>>(),
        [0, 0, 0, 6, 6]
    );
    let (rows, _) = q_page(&mut c, "q[name__like]=me 4&q[at__lte]=2026-04-03")
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.name == "Name 4"), "{rows:?}");
    for (bad, parameter) in [
        ("q[nope__eq]=1", "q[nope__eq]"),
        ("q[n__like]=1", "q[n__like]"),
        ("q[tags__order]=asc", "q[tags__order]"),
        ("q[n__in]=1,2,3,4,5,6", "q[n__in]"),
        ("q[name__eq]=a%00", "q[name__eq]"),
        ("q[page]=11&q[perPage]=10", "q[page]"),
        ("q[projectId__eq]=x", "q[projectId__eq]"),
    ] {
        let e = q_page(&mut c, bad).await.unwrap_err();
        assert_eq!(e.code(), "invalid_q", "{bad}");
        assert_eq!(e.details()["parameter"], parameter, "{bad}");
    }
}

#[tokio::test]
async fn a_query_past_its_statement_timeout_is_a_503_and_the_pool_recovers() {
    let (url, mut locker) = seeded().await;
    let pool = db::pool_with_statement_timeout(&url, 1, Some(Duration::from_millis(300))).unwrap();
    let codec = CursorCodec::new("k");
    // The pathological query: one that waits on a lock held by another session.
    locker
        .transaction::<_, diesel::result::Error, _>(async |tx| {
            diesel::sql_query("LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
                .execute(tx)
                .await?;
            let mut conn = pool.get().await.unwrap();
            let started = std::time::Instant::now();
            let e = cursor_page(&mut conn, &codec, "limit=5").await.unwrap_err();
            assert_eq!(e.code(), "query_timeout");
            assert_eq!(e.status().as_u16(), 503);
            assert!(started.elapsed() < Duration::from_secs(3));
            Ok(())
        })
        .await
        .unwrap();
    // the lock is gone; the same (only) pooled connection answers again
    let mut conn = pool.get().await.unwrap();
    let (rows, _) = cursor_page(&mut conn, &codec, "limit=5").await.unwrap();
    assert_eq!(rows.len(), 5);
}
