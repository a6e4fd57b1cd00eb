//! Usage counters: per subject, per UTC day and month, counted in the decision's own script call.

use crate::helpers::*;
use redis::AsyncCommands;

#[tokio::test]
async fn usage_counts_requests_and_refusals_per_day_and_month_with_ttls() {
    let cfg = config(&[("five", 5, 3600, 0, false)]);
    let prefix = cfg.prefix.clone();
    let mut app = spawn(cfg).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    let other = testkit::unique("key_");
    for _ in 0..8 {
        hit(c, &s, "five").await;
    }
    // Route classes share the subject's usage.
    decide(c, &s, "five", "write", 1, false).await;
    hit(c, &other, "five").await;

    let u = usage(c, &s, "").await;
    let today = time::OffsetDateTime::now_utc().date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    assert_eq!(u.subject, s);
    assert_eq!(u.day, day);
    assert_eq!(u.month, day[..7]);
    assert_eq!((u.requests_today, u.refused_today), (9, 3));
    assert_eq!((u.requests_this_month, u.refused_this_month), (9, 3));
    assert_eq!(usage(c, &other, "").await.requests_today, 1);

    // Explicit day: today equals the default; another day of the month has no daily count.
    assert_eq!(usage(c, &s, &day).await.requests_today, 9);
    let other_day = if today.day() == 1 {
        today.next_day()
    } else {
        today.previous_day()
    };
    if let Some(d) = other_day {
        let ds = format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
        let u = usage(c, &s, &ds).await;
        assert_eq!(u.requests_today, 0);
        assert_eq!(u.requests_this_month, 9);
    }
    let bad = c
        .get_usage(rpc::ratelimit::UsageRequest {
            subject: s.clone(),
            day: "25/11/2026".into(),
        })
        .await;
    assert_eq!(
        bad.err().map(|e| e.code()),
        Some(tonic::Code::InvalidArgument)
    );

    // Key layout: hash-tagged per subject, counters carry TTLs.
    let client = redis::Client::open(testkit::redis_url()).unwrap_or_else(|e| panic!("{e}"));
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let day_key = format!("{prefix}:{{{s}}}:usage:d:{day}");
    let month_key = format!("{prefix}:{{{s}}}:usage:m:{}", &day[..7]);
    let bucket_key = format!("{prefix}:{{{s}}}:read");
    let day_ttl: i64 = con.ttl(&day_key).await.unwrap_or_else(|e| panic!("{e}"));
    let month_ttl: i64 = con.ttl(&month_key).await.unwrap_or_else(|e| panic!("{e}"));
    let bucket_ttl: i64 = con
        .pttl(&bucket_key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // helpers::config sets 1 and 2 days.
    assert!(day_ttl > 86_000 && day_ttl <= 86_400, "day ttl {day_ttl}");
    assert!(
        month_ttl > 2 * 86_000 && month_ttl <= 2 * 86_400,
        "month ttl {month_ttl}"
    );
    // The bucket expires when it is full again: 5 tokens × 720 s.
    assert!(
        bucket_ttl > 3_500_000 && bucket_ttl <= 3_600_001,
        "bucket pttl {bucket_ttl}"
    );
    let tat: String = con.get(&bucket_key).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        tat.parse::<u64>().is_ok(),
        "TAT is an integer of microseconds: {tat}"
    );
}

#[tokio::test]
async fn batched_decisions_count_the_requests_they_cover() {
    let cfg = config(&[("five", 5, 3600, 0, false)]);
    let mut app = spawn(cfg).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    let batch = |hits: u32| {
        let mut r = req(&s, "five", "read", hits, false);
        r.requests = hits;
        r
    };
    // A gateway batch of 3 requests passes: 3 requests counted.
    let passed = c.should_rate_limit(batch(3)).await.unwrap().into_inner();
    assert!(is_ok(&passed));
    assert_eq!(usage(c, &s, "").await.requests_today, 3);
    // A batch of 3 that does not fit is not counted: the caller re-decides them one by one.
    let refused = c.should_rate_limit(batch(3)).await.unwrap().into_inner();
    assert!(!is_ok(&refused));
    let u = usage(c, &s, "").await;
    assert_eq!((u.requests_today, u.refused_today), (3, 0));
    // Re-decided one at a time: two pass, one is refused, each counted once.
    for _ in 0..3 {
        hit(c, &s, "five").await;
    }
    let u = usage(c, &s, "").await;
    assert_eq!((u.requests_today, u.refused_today), (6, 1));
}
