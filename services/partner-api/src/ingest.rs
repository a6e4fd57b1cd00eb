//! SDK ingest: the batch body, per-item validation, clock-skew correction,
//! metadata stripping, dedup and the durable write.
//!
//! Flow of one batch ([`store`]): validate every item (rejections are
//! reported per item and never fail the batch) → ensure the monthly partitions
//! the batch touches → one transaction: claim client message ids in
//! `ingest_dedup` (`ON CONFLICT DO NOTHING`), insert the new events/logs/session
//! with one statement each, commit → upsert the metadata dictionary → answer.

use crate::{
    config::IngestLimits,
    models::{
        SOURCES, dedup,
        dictionary::{self, Meta},
        events::{self, NewEvent},
        logs::{self, LEVELS, NewLog},
        partitions::{Partitions, month_of},
        sessions::{self, SessionRow},
    },
    views::{self, fmt_ts},
};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use error_envelope::ApiError;
use query::value::parse_timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The request body of `POST /sdk/ingest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestBody {
    pub project_id: String,
    #[serde(default)]
    pub events: Vec<Value>,
    #[serde(default)]
    pub logs: Vec<Value>,
    #[serde(default)]
    pub session: Option<Value>,
    /// When the client sent the batch, by its own clock (skew correction).
    #[serde(default)]
    pub sent_at: Option<String>,
    /// Default `source` of every item: sdk (default), backend or import.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventIn {
    name: Option<String>,
    #[serde(alias = "clientId")]
    message_id: Option<String>,
    timestamp: Option<String>,
    payload: Option<Value>,
    session_id: Option<String>,
    external_user_id: Option<String>,
    url: Option<String>,
    platform: Option<String>,
    browser: Option<String>,
    source: Option<String>,
    order_id: Option<String>,
    total_amount: Option<Value>,
    currency: Option<String>,
    product_id: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIn {
    level: Option<String>,
    message: Option<String>,
    #[serde(alias = "clientId")]
    message_id: Option<String>,
    timestamp: Option<String>,
    session_id: Option<String>,
    url: Option<String>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionIn {
    id: Option<String>,
    device_id: Option<String>,
    external_user_id: Option<String>,
    platform: Option<String>,
    browser: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    referrer: Option<String>,
    landing_page: Option<String>,
    started_at: Option<String>,
    source: Option<String>,
}

/// One item's outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// `accepted`, `duplicate` or `rejected`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The 200 body of `POST /sdk/ingest`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestResponse {
    pub received_at: String,
    /// Server time minus `sentAt` (milliseconds) applied to every item timestamp; 0 without `sentAt`.
    pub clock_skew_ms: i64,
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub events: Vec<ItemResult>,
    pub logs: Vec<ItemResult>,
    pub session: Option<ItemResult>,
}

/// A per-item validation failure.
#[derive(Debug)]
struct Reject {
    field: &'static str,
    message: String,
}

fn reject(field: &'static str, message: impl Into<String>) -> Reject {
    Reject {
        field,
        message: message.into(),
    }
}

fn rejected(index: Option<usize>, r: Reject) -> ItemResult {
    ItemResult {
        index,
        status: "rejected",
        id: None,
        code: Some("validation_failed"),
        field: Some(r.field.to_owned()),
        message: Some(r.message),
    }
}

/// Clock handling for one batch: skew offset and the clamp of future times.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub received_at: OffsetDateTime,
    pub skew: Duration,
    pub future_tolerance: Duration,
}

impl Clock {
    pub fn new(
        received_at: OffsetDateTime,
        sent_at: Option<OffsetDateTime>,
        future_tolerance_seconds: i64,
    ) -> Self {
        let skew = sent_at.map(|s| received_at - s).unwrap_or(Duration::ZERO);
        Self {
            received_at,
            skew,
            future_tolerance: Duration::seconds(future_tolerance_seconds),
        }
    }

    /// `timestamp + (receivedAt − sentAt)`, clamped to receivedAt when still in the future
    /// beyond the tolerance; receivedAt when the client gave none.
    pub fn correct(&self, client: Option<OffsetDateTime>) -> OffsetDateTime {
        let Some(t) = client else {
            return self.received_at;
        };
        let t = t.checked_add(self.skew).unwrap_or(self.received_at);
        if t > self.received_at + self.future_tolerance {
            self.received_at
        } else {
            t
        }
    }
}

fn opt_text(field: &'static str, v: Option<String>, max: usize) -> Result<Option<String>, Reject> {
    match v {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if s.chars().count() > max => Err(reject(
            field,
            format!("{field} is longer than {max} characters"),
        )),
        Some(s) => Ok(Some(s)),
    }
}

fn opt_uuid(field: &'static str, v: Option<String>) -> Result<Option<Uuid>, Reject> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| reject(field, format!("{field} must be a UUID"))),
    }
}

fn opt_time(field: &'static str, v: Option<String>) -> Result<Option<OffsetDateTime>, Reject> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => {
            let t = parse_timestamp(s)
                .ok_or_else(|| reject(field, format!("{field} must be an ISO-8601 date-time")))?;
            if t.year() < 2000 {
                return Err(reject(field, format!("{field} is before the year 2000")));
            }
            Ok(Some(t))
        }
    }
}

fn source_of(item: Option<String>, batch: &str) -> Result<String, Reject> {
    match item.as_deref() {
        None | Some("") => Ok(batch.to_owned()),
        Some(s) if SOURCES.contains(&s) => Ok(s.to_owned()),
        Some(_) => Err(reject(
            "source",
            format!("source must be one of {}", SOURCES.join(", ")),
        )),
    }
}

fn message_id(v: Option<String>) -> Result<Option<String>, Reject> {
    opt_text("messageId", v, 200)
}

fn amount(v: Option<Value>) -> Result<Option<String>, Reject> {
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s,
        Some(_) => return Err(reject("totalAmount", "totalAmount must be a number")),
    };
    let ok = text.len() <= 40
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && text
            .parse::<f64>()
            .is_ok_and(|f| f.is_finite() && f.abs() < 1e15);
    if ok {
        Ok(Some(text))
    } else {
        Err(reject(
            "totalAmount",
            "totalAmount must be a finite number below 1e15",
        ))
    }
}

fn currency(v: Option<String>) -> Result<Option<String>, Reject> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(s.to_ascii_uppercase()))
        }
        Some(_) => Err(reject(
            "currency",
            "currency must be a three-letter ISO 4217 code",
        )),
    }
}

/// Removes `_category`, `_feature` and `_surface` from the payload.
pub fn strip_meta(payload: &mut Map<String, Value>) -> Meta {
    let mut take = |k: &str| match payload.remove(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.chars().take(200).collect()),
        _ => None,
    };
    Meta {
        category: take("_category"),
        feature: take("_feature"),
        surface: take("_surface"),
    }
}

/// PostgreSQL cannot store NUL in text or jsonb: an item holding one anywhere
/// (a value or a key, however deep) is rejected, never a 500.
fn no_nul(v: &Value) -> Result<(), Reject> {
    let bad = || {
        reject(
            "item",
            "strings may not contain the NUL character (\\u0000)",
        )
    };
    match v {
        Value::String(s) if s.contains('\0') => Err(bad()),
        Value::Array(a) => a.iter().try_for_each(no_nul),
        Value::Object(m) => m.iter().try_for_each(|(k, v)| {
            if k.contains('\0') {
                Err(bad())
            } else {
                no_nul(v)
            }
        }),
        _ => Ok(()),
    }
}

fn validate_event(
    v: Value,
    batch_source: &str,
    clock: &Clock,
    limits: &IngestLimits,
) -> Result<(NewEvent, Meta), Reject> {
    no_nul(&v)?;
    let e: EventIn =
        serde_json::from_value(v).map_err(|e| reject("event", format!("invalid event: {e}")))?;
    let name = opt_text("name", e.name, 200)?.ok_or_else(|| reject("name", "name is required"))?;
    let mut payload = match e.payload {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(reject("payload", "payload must be a JSON object")),
    };
    let meta = strip_meta(&mut payload);
    let payload = Value::Object(payload);
    if payload.to_string().len() > limits.max_payload_bytes {
        return Err(reject(
            "payload",
            format!("payload exceeds {} bytes", limits.max_payload_bytes),
        ));
    }
    let timestamp = clock.correct(opt_time("timestamp", e.timestamp)?);
    Ok((
        NewEvent {
            id: Uuid::now_v7(),
            timestamp,
            received_at: clock.received_at,
            name,
            payload,
            session_id: opt_uuid("sessionId", e.session_id)?,
            external_user_id: opt_text("externalUserId", e.external_user_id, 255)?,
            url: opt_text("url", e.url, 2048)?,
            platform: opt_text("platform", e.platform, 100)?,
            browser: opt_text("browser", e.browser, 100)?,
            source: source_of(e.source, batch_source)?,
            message_id: message_id(e.message_id)?,
            order_id: opt_text("orderId", e.order_id, 255)?,
            total_amount: amount(e.total_amount)?,
            currency: currency(e.currency)?,
            product_id: opt_text("productId", e.product_id, 255)?,
            utm_source: opt_text("utmSource", e.utm_source, 255)?,
            utm_medium: opt_text("utmMedium", e.utm_medium, 255)?,
            utm_campaign: opt_text("utmCampaign", e.utm_campaign, 255)?,
        },
        meta,
    ))
}

fn validate_log(v: Value, batch_source: &str, clock: &Clock) -> Result<NewLog, Reject> {
    no_nul(&v)?;
    let l: LogIn =
        serde_json::from_value(v).map_err(|e| reject("log", format!("invalid log: {e}")))?;
    let level = match l.level.as_deref() {
        Some(s) if LEVELS.contains(&s) => s.to_owned(),
        Some("warning") => "warn".to_owned(),
        _ => {
            return Err(reject(
                "level",
                format!("level must be one of {}", LEVELS.join(", ")),
            ));
        }
    };
    let message = opt_text("message", l.message, 8192)?
        .ok_or_else(|| reject("message", "message is required"))?;
    Ok(NewLog {
        id: Uuid::now_v7(),
        timestamp: clock.correct(opt_time("timestamp", l.timestamp)?),
        received_at: clock.received_at,
        level,
        message,
        source: source_of(l.source, batch_source)?,
        session_id: opt_uuid("sessionId", l.session_id)?,
        url: opt_text("url", l.url, 2048)?,
        message_id: message_id(l.message_id)?,
    })
}

fn validate_session(v: Value, batch_source: &str, clock: &Clock) -> Result<SessionRow, Reject> {
    no_nul(&v)?;
    let s: SessionIn = serde_json::from_value(v)
        .map_err(|e| reject("session", format!("invalid session: {e}")))?;
    let id =
        opt_uuid("id", s.id)?.ok_or_else(|| reject("id", "session.id (a UUID) is required"))?;
    Ok(SessionRow {
        id,
        device_id: opt_uuid("deviceId", s.device_id)?,
        external_user_id: opt_text("externalUserId", s.external_user_id, 255)?,
        platform: opt_text("platform", s.platform, 100)?,
        browser: opt_text("browser", s.browser, 100)?,
        utm_source: opt_text("utmSource", s.utm_source, 255)?,
        utm_medium: opt_text("utmMedium", s.utm_medium, 255)?,
        utm_campaign: opt_text("utmCampaign", s.utm_campaign, 255)?,
        referrer: opt_text("referrer", s.referrer, 2048)?,
        landing_page: opt_text("landingPage", s.landing_page, 2048)?,
        source: source_of(s.source, batch_source)?,
        started_at: clock.correct(opt_time("startedAt", s.started_at)?),
        created_at: clock.received_at,
    })
}

/// Envelope checks that refuse the whole request (before any item is looked at).
pub fn check_envelope(body: &IngestBody, limits: &IngestLimits) -> Result<(), ApiError> {
    let items = body.events.len() + body.logs.len();
    if items > limits.max_items {
        return Err(ApiError::from_code(
            error_envelope::ErrorCode::PayloadTooLarge,
            format!(
                "a batch holds at most {} events and logs together; this one has {items}",
                limits.max_items
            ),
        )
        .with_details(serde_json::json!({ "limit_items": limits.max_items, "items": items })));
    }
    if let Some(s) = &body.source
        && !SOURCES.contains(&s.as_str())
    {
        return Err(ApiError::validation(
            "source",
            format!("source must be one of {}", SOURCES.join(", ")),
        ));
    }
    Ok(())
}

/// Parses `sentAt` (400 when present and malformed).
pub fn sent_at(body: &IngestBody) -> Result<Option<OffsetDateTime>, ApiError> {
    match body.sent_at.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| ApiError::validation("sentAt", "sentAt must be an ISO-8601 date-time")),
    }
}

enum Slot<T> {
    Rejected(ItemResult),
    New(T),
    Pending(T),
}

/// Validates and stores one batch for `project`; the response is sent only after commit.
pub async fn store(
    conn: &mut AsyncPgConnection,
    partitions: &Partitions,
    project: Uuid,
    body: IngestBody,
    clock: Clock,
    limits: &IngestLimits,
) -> Result<IngestResponse, ApiError> {
    let batch_source = body.source.clone().unwrap_or_else(|| "sdk".to_owned());

    // 1. validation, per item
    let mut dictionary: BTreeMap<String, Meta> = BTreeMap::new();
    let mut event_slots: Vec<Slot<NewEvent>> = Vec::with_capacity(body.events.len());
    for (i, v) in body.events.into_iter().enumerate() {
        event_slots.push(match validate_event(v, &batch_source, &clock, limits) {
            Ok((e, meta)) => {
                if !meta.is_empty() {
                    dictionary.entry(e.name.clone()).or_default().merge(meta);
                }
                Slot::Pending(e)
            }
            Err(r) => Slot::Rejected(rejected(Some(i), r)),
        });
    }
    let mut log_slots: Vec<Slot<NewLog>> = body
        .logs
        .into_iter()
        .enumerate()
        .map(|(i, v)| match validate_log(v, &batch_source, &clock) {
            Ok(l) => Slot::Pending(l),
            Err(r) => Slot::Rejected(rejected(Some(i), r)),
        })
        .collect();
    let has_session = body.session.is_some();
    let mut session_slots: Vec<Slot<SessionRow>> = body
        .session
        .into_iter()
        .map(|v| match validate_session(v, &batch_source, &clock) {
            Ok(s) => Slot::Pending(s),
            Err(r) => Slot::Rejected(rejected(None, r)),
        })
        .collect();

    // 2. partitions for every month touched (DDL stays outside the data transaction)
    let mut months: HashSet<(&'static str, time::Date)> = HashSet::new();
    for s in &event_slots {
        if let Slot::Pending(e) = s {
            months.insert(("events", month_of(e.timestamp)));
        }
    }
    for s in &log_slots {
        if let Slot::Pending(l) = s {
            months.insert(("logs", month_of(l.timestamp)));
        }
    }
    for s in &session_slots {
        if let Slot::Pending(s) = s {
            months.insert(("sessions", month_of(s.created_at)));
        }
    }
    for (table, month) in months {
        if !partitions.is_known(table, month) {
            partitions.ensure(conn, table, month).await?;
        }
    }

    // 3. one transaction: dedup claims + inserts
    let (event_dups, log_dups, session_dup) = conn
        .transaction::<_, diesel::result::Error, _>(async |c| {
            let event_dups = claim_and_split(
                c,
                project,
                "event",
                &mut event_slots,
                |e| e.message_id.clone(),
                |e| e.id,
            )
            .await?;
            let new_events: Vec<NewEvent> =
                event_slots.iter().filter_map(new_of).cloned().collect();
            events::insert(c, project, &new_events).await?;

            let log_dups = claim_and_split(
                c,
                project,
                "log",
                &mut log_slots,
                |l| l.message_id.clone(),
                |l| l.id,
            )
            .await?;
            let new_logs: Vec<NewLog> = log_slots.iter().filter_map(new_of).cloned().collect();
            logs::insert(c, project, &new_logs).await?;

            let session_dup = claim_and_split(
                c,
                project,
                "session",
                &mut session_slots,
                |s| Some(s.id.to_string()),
                |s| s.id,
            )
            .await?;
            let new_sessions: Vec<SessionRow> =
                session_slots.iter().filter_map(new_of).cloned().collect();
            sessions::insert(c, project, &new_sessions).await?;
            Ok((event_dups, log_dups, session_dup))
        })
        .await?;

    // 4. dictionary (metadata only; outside the data transaction to keep row locks short)
    if !dictionary.is_empty() {
        dictionary::upsert(conn, project, &dictionary).await?;
    }

    // 5. the answer
    let mut counts = (0usize, 0usize, 0usize);
    let events = results(event_slots, &event_dups, "evt", |e| e.id, &mut counts);
    let logs = results(log_slots, &log_dups, "log", |l| l.id, &mut counts);
    let session = results(session_slots, &session_dup, "ses", |s| s.id, &mut counts)
        .pop()
        .filter(|_| has_session)
        .map(|item| ItemResult {
            index: None,
            ..item
        });
    Ok(IngestResponse {
        received_at: fmt_ts(clock.received_at),
        clock_skew_ms: clock.skew.whole_milliseconds() as i64,
        accepted: counts.0,
        duplicates: counts.1,
        rejected: counts.2,
        events,
        logs,
        session,
    })
}

fn new_of<T>(s: &Slot<T>) -> Option<&T> {
    match s {
        Slot::New(t) => Some(t),
        _ => None,
    }
}

/// Claims the message ids of the pending items. A pending item becomes `New`
/// unless its message id was claimed before (by an earlier request, or earlier
/// in this batch); then it stays `Pending` and the returned map gives, by item
/// index, the id of the item stored under that message id.
async fn claim_and_split<T>(
    c: &mut AsyncPgConnection,
    project: Uuid,
    kind: &str,
    slots: &mut [Slot<T>],
    mid: impl Fn(&T) -> Option<String>,
    iid: impl Fn(&T) -> Uuid,
) -> Result<HashMap<usize, Uuid>, diesel::result::Error> {
    let mut first_of: HashMap<String, (usize, Uuid)> = HashMap::new();
    let mut claims = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        if let Slot::Pending(t) = s
            && let Some(m) = mid(t)
            && !first_of.contains_key(&m)
        {
            first_of.insert(m.clone(), (i, iid(t)));
            claims.push((m, iid(t)));
        }
    }
    let fresh: HashSet<String> = dedup::claim(c, project, kind, &claims)
        .await?
        .into_iter()
        .collect();
    let taken: Vec<String> = claims
        .iter()
        .map(|(m, _)| m.clone())
        .filter(|m| !fresh.contains(m))
        .collect();
    let stored = dedup::existing(c, project, kind, &taken).await?;
    let mut dups = HashMap::new();
    for (i, slot) in slots.iter_mut().enumerate() {
        let Slot::Pending(t) = slot else { continue };
        let original = match mid(t) {
            None => None,
            Some(m) => match first_of.get(&m) {
                Some(&(first, first_id)) if fresh.contains(&m) => (first != i).then_some(first_id),
                _ => Some(stored.get(&m).copied().unwrap_or_else(|| iid(t))),
            },
        };
        match original {
            Some(id) => {
                dups.insert(i, id);
            }
            None => {
                let placeholder = Slot::Rejected(rejected(None, reject("", "")));
                if let Slot::Pending(t) = std::mem::replace(slot, placeholder) {
                    *slot = Slot::New(t);
                }
            }
        }
    }
    Ok(dups)
}

fn results<T>(
    slots: Vec<Slot<T>>,
    dups: &HashMap<usize, Uuid>,
    prefix: &str,
    iid: impl Fn(&T) -> Uuid,
    counts: &mut (usize, usize, usize),
) -> Vec<ItemResult> {
    slots
        .into_iter()
        .enumerate()
        .map(|(i, s)| match s {
            Slot::Rejected(r) => {
                counts.2 += 1;
                ItemResult {
                    index: Some(i),
                    ..r
                }
            }
            Slot::New(t) => {
                counts.0 += 1;
                ItemResult {
                    index: Some(i),
                    status: "accepted",
                    id: Some(views::prefixed(prefix, iid(&t))),
                    code: None,
                    field: None,
                    message: None,
                }
            }
            Slot::Pending(t) => {
                counts.1 += 1;
                let id = dups.get(&i).copied().unwrap_or_else(|| iid(&t));
                ItemResult {
                    index: Some(i),
                    status: "duplicate",
                    id: Some(views::prefixed(prefix, id)),
                    code: None,
                    field: None,
                    message: None,
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn skew_is_corrected_and_the_future_clamped() {
        let received = datetime!(2026-11-25 12:00:00 UTC);
        // The client's clock is 1 hour behind.
        let clock = Clock::new(received, Some(datetime!(2026-11-25 11:00:00 UTC)), 60);
        assert_eq!(
            clock.correct(Some(datetime!(2026-11-25 10:59:00 UTC))),
            datetime!(2026-11-25 11:59:00 UTC)
        );
        assert_eq!(clock.correct(None), received);
        let no_sent = Clock::new(received, None, 60);
        assert_eq!(
            no_sent.correct(Some(datetime!(2026-11-26 00:00:00 UTC))),
            received
        );
        assert_eq!(
            no_sent.correct(Some(datetime!(2026-11-25 12:00:30 UTC))),
            datetime!(2026-11-25 12:00:30 UTC)
        );
    }

    #[test]
    fn metadata_is_stripped() {
        let mut m = serde_json::json!({"_category":"checkout","_feature":"cart","_surface":"web","plan":"pro"})
            .as_object()
            .cloned()
            .unwrap();
        let meta = strip_meta(&mut m);
        assert_eq!(meta.category.as_deref(), Some("checkout"));
        assert_eq!(meta.surface.as_deref(), Some("web"));
        assert_eq!(Value::Object(m), serde_json::json!({"plan":"pro"}));
    }
}
