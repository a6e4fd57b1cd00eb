//! Monthly partitions of `events`, `logs` and `sessions`.
//!
//! The service creates partitions for a window of months around now at
//! start-up and hourly, and for any month an ingest batch touches that it has
//! not seen yet. Rows outside every monthly partition land in the DEFAULT
//! partition (see `partner_ensure_month_partition` in the migration).

use diesel::{QueryResult, QueryableByName, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::{collections::HashSet, sync::Mutex};
use time::{Date, Month, OffsetDateTime};

pub const PARTITIONED: [&str; 3] = ["events", "logs", "sessions"];

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = st::Bool)]
    created: bool,
}

/// First day of the month of `t` (UTC).
pub fn month_of(t: OffsetDateTime) -> Date {
    let t = t.to_offset(time::UtcOffset::UTC);
    Date::from_calendar_date(t.year(), t.month(), 1).unwrap_or(t.date())
}

/// `month` shifted by `delta` months.
pub fn add_months(month: Date, delta: i32) -> Date {
    let idx = month.year() * 12 + (month.month() as i32 - 1) + delta;
    let (y, m) = (idx.div_euclid(12), idx.rem_euclid(12) as u8 + 1);
    Month::try_from(m)
        .ok()
        .and_then(|m| Date::from_calendar_date(y, m, 1).ok())
        .unwrap_or(month)
}

/// Remembers which (table, month) partitions are known to exist, so ingest
/// pays the DDL round trip once per month per process.
#[derive(Debug, Default)]
pub struct Partitions {
    known: Mutex<HashSet<(&'static str, Date)>>,
}

impl Partitions {
    pub fn is_known(&self, table: &'static str, month: Date) -> bool {
        self.known
            .lock()
            .map(|k| k.contains(&(table, month)))
            .unwrap_or(false)
    }

    /// Ensures the partition of `month` for `table` exists (or that rows of that
    /// month must stay in the default partition) and remembers it.
    pub async fn ensure(
        &self,
        conn: &mut AsyncPgConnection,
        table: &'static str,
        month: Date,
    ) -> QueryResult<bool> {
        if self.is_known(table, month) {
            return Ok(false);
        }
        let created: Created =
            sql_query("SELECT partner_ensure_month_partition($1, $2) AS created")
                .bind::<st::Text, _>(table)
                .bind::<st::Date, _>(month)
                .get_result(conn)
                .await?;
        if let Ok(mut k) = self.known.lock() {
            k.insert((table, month));
        }
        Ok(created.created)
    }

    /// Ensures the window `[now - back, now + ahead]` months for every partitioned table.
    pub async fn ensure_window(
        &self,
        conn: &mut AsyncPgConnection,
        now: OffsetDateTime,
        back: u32,
        ahead: u32,
    ) -> QueryResult<usize> {
        let current = month_of(now);
        let mut created = 0;
        for delta in -(back as i32)..=(ahead as i32) {
            for table in PARTITIONED {
                if self.ensure(conn, table, add_months(current, delta)).await? {
                    created += 1;
                }
            }
        }
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn months() {
        assert_eq!(
            month_of(datetime!(2026-11-25 12:00 UTC)),
            date!(2026 - 11 - 01)
        );
        assert_eq!(add_months(date!(2026 - 11 - 01), 2), date!(2027 - 01 - 01));
        assert_eq!(add_months(date!(2026 - 01 - 01), -1), date!(2025 - 12 - 01));
    }
}
