//! Response bodies (camelCase, as the seed shows them); never a row struct on the wire.

use crate::models::{events::EventRow, logs::LogRow, sessions::SessionRow};
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset, format_description::FormatItem, macros::format_description};
use uuid::Uuid;

const MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
const SECONDS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `2026-04-20T09:12:44.000Z` (list rows, ingest receipts).
pub fn fmt_ts(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(MILLIS)
        .unwrap_or_default()
}

/// `2026-04-20T09:12:44Z` (health, as the seed shows it).
pub fn fmt_ts_seconds(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(SECONDS)
        .unwrap_or_default()
}

/// `evt_0190…` — a typed public id over the row's uuid (32 hex digits).
pub fn prefixed(prefix: &str, id: Uuid) -> String {
    format!("{prefix}_{}", id.simple())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub id: String,
    pub name: String,
    /// The free-form payload as a JSON string.
    pub payload: String,
    pub session_id: Option<String>,
    pub external_user_id: Option<String>,
    pub timestamp: String,
    pub url: Option<String>,
    pub platform: Option<String>,
    pub browser: Option<String>,
    pub source: String,
    pub order_id: Option<String>,
    pub total_amount: Option<f64>,
    pub currency: Option<String>,
    pub product_id: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
}

impl From<EventRow> for EventView {
    fn from(r: EventRow) -> Self {
        Self {
            id: prefixed("evt", r.id),
            name: r.name,
            payload: r.payload.to_string(),
            session_id: r.session_id.map(|u| u.to_string()),
            external_user_id: r.external_user_id,
            timestamp: fmt_ts(r.timestamp),
            url: r.url,
            platform: r.platform,
            browser: r.browser,
            source: r.source,
            order_id: r.order_id,
            total_amount: r
                .total_amount
                .and_then(|d| bigdecimal::ToPrimitive::to_f64(&d)),
            currency: r.currency,
            product_id: r.product_id,
            utm_source: r.utm_source,
            utm_medium: r.utm_medium,
            utm_campaign: r.utm_campaign,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogView {
    pub id: String,
    pub level: String,
    pub message: String,
    pub source: String,
    pub session_id: Option<String>,
    pub timestamp: String,
    pub url: Option<String>,
}

impl From<LogRow> for LogView {
    fn from(r: LogRow) -> Self {
        Self {
            id: prefixed("log", r.id),
            level: r.level,
            message: r.message,
            source: r.source,
            session_id: r.session_id.map(|u| u.to_string()),
            timestamp: fmt_ts(r.timestamp),
            url: r.url,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub device_id: Option<String>,
    pub external_user_id: Option<String>,
    pub platform: Option<String>,
    pub browser: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    pub source: String,
    pub started_at: String,
    pub created_at: String,
}

impl From<SessionRow> for SessionView {
    fn from(r: SessionRow) -> Self {
        Self {
            id: prefixed("ses", r.id),
            device_id: r.device_id.map(|u| u.to_string()),
            external_user_id: r.external_user_id,
            platform: r.platform,
            browser: r.browser,
            utm_source: r.utm_source,
            utm_medium: r.utm_medium,
            utm_campaign: r.utm_campaign,
            referrer: r.referrer,
            landing_page: r.landing_page,
            source: r.source,
            started_at: fmt_ts(r.started_at),
            created_at: fmt_ts(r.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// `healthy` | `warning` | `error`
    pub status: &'static str,
    pub project_id: String,
    pub last_event_at: Option<String>,
    pub last_log_at: Option<String>,
    pub events_last_hour: i64,
    pub logs_last_hour: i64,
    pub sessions_last_hour: i64,
}

/// healthy: last event within 5 minutes; warning: within 60; error: older or none.
pub fn health_status(last_event_at: Option<OffsetDateTime>, now: OffsetDateTime) -> &'static str {
    match last_event_at.map(|t| now - t) {
        Some(age) if age <= time::Duration::minutes(5) => "healthy",
        Some(age) if age <= time::Duration::minutes(60) => "warning",
        _ => "error",
    }
}
