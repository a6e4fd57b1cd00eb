//! Keyset pagination (never OFFSET) and page/perPage parameters.
//!
//! - [`CursorCodec`]: keyset cursors (never OFFSET). A cursor holds the sort
//!   key values of the last row of a page, a format version, and an HMAC over
//!   both and the *query shape* (filters + sort), so a tampered cursor, or one
//!   replayed with other filters or sort, is refused with 400 `invalid_cursor`.
//! - [`parse_limit`]: `limit` 1–[`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
//! - [`CursorPage`]: turns `limit + 1` fetched rows into `data` + `pagination`.
//! - [`PageParams`]: page/perPage for the partner API.

use base64::Engine;
use error_envelope::{ApiError, ErrorCode};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 25;
const VERSION: u64 = 1;
const MAC_LEN: usize = 16;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Signs and verifies cursors with a server secret (rotate by redeploying: old cursors then fail cleanly).
#[derive(Clone)]
pub struct CursorCodec {
    secret: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

impl CursorCodec {
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            secret: secret.as_ref().to_vec(),
        }
    }

    fn mac(&self, shape: &str, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(&VERSION.to_be_bytes());
        mac.update(shape.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// `shape` is a canonical string of the filters and sort the cursor belongs to.
    pub fn encode(&self, shape: &str, keys: &Value) -> String {
        let payload = serde_json::json!({ "v": VERSION, "k": keys }).to_string();
        let mac = self.mac(shape, payload.as_bytes());
        format!("{}.{}", B64.encode(payload.as_bytes()), B64.encode(mac))
    }

    /// The key values of a cursor made by [`encode`](Self::encode) with the same `shape`.
    pub fn decode(&self, shape: &str, cursor: &str) -> Result<Value, ApiError> {
        let (payload_b64, mac_b64) = cursor
            .split_once('.')
            .ok_or_else(ApiError::invalid_cursor)?;
        let payload = B64
            .decode(payload_b64)
            .map_err(|_| ApiError::invalid_cursor())?;
        let mac = B64
            .decode(mac_b64)
            .map_err(|_| ApiError::invalid_cursor())?;
        let expected = self.mac(shape, &payload);
        if mac.len() != MAC_LEN
            || !bool::from(subtle::ConstantTimeEq::ct_eq(&mac[..], &expected[..]))
        {
            return Err(ApiError::invalid_cursor());
        }
        let mut value: Value =
            serde_json::from_slice(&payload).map_err(|_| ApiError::invalid_cursor())?;
        if value.get("v").and_then(Value::as_u64) != Some(VERSION) {
            return Err(ApiError::invalid_cursor());
        }
        Ok(value.get_mut("k").map(Value::take).unwrap_or(Value::Null))
    }
}

/// Parses `limit`: absent → [`DEFAULT_LIMIT`]; 1..=[`MAX_LIMIT`] or 400
/// `validation_failed` with `details.parameter` (query parameters are named
/// in `details.parameter`, body fields in `details.field`).
pub fn parse_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_parameter(
            error_envelope::ErrorCode::ValidationFailed,
            "limit",
            format!("limit must be an integer from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// `{"next_cursor": …, "has_next": …}` as the admin seed shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PaginationInfo {
    pub next_cursor: Option<String>,
    pub has_next: bool,
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct CursorPage<T> {
    pub rows: Vec<T>,
    pub pagination: PaginationInfo,
}

impl<T> CursorPage<T> {
    /// `rows` must be the result of fetching `limit + 1` rows; `key_of` gives
    /// the sort key values of a row (the same order as the query's ORDER BY).
    pub fn from_rows(
        mut rows: Vec<T>,
        limit: u32,
        codec: &CursorCodec,
        shape: &str,
        key_of: impl Fn(&T) -> Value,
    ) -> Self {
        let has_next = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if has_next {
            rows.last().map(|r| codec.encode(shape, &key_of(r)))
        } else {
            None
        };
        Self {
            rows,
            pagination: PaginationInfo {
                next_cursor,
                has_next,
            },
        }
    }
}

/// page/perPage pagination (partner API): `page` ≥ 1, `per_page` 1..=max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    pub page: u32,
    pub per_page: u32,
}

impl PageParams {
    /// Parses the raw values; errors carry `code` and name the parameter as the caller spelled it.
    pub fn parse(
        page: Option<(&str, &str)>,
        per_page: Option<(&str, &str)>,
        default_per_page: u32,
        max_per_page: u32,
        code: ErrorCode,
    ) -> Result<Self, ApiError> {
        let page = match page {
            None => 1,
            Some((name, raw)) => match raw.parse::<u32>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_parameter(
                        code,
                        name,
                        format!("{name} must be an integer ≥ 1"),
                    ));
                }
            },
        };
        let per_page = match per_page {
            None => default_per_page,
            Some((name, raw)) => match raw.parse::<u32>() {
                Ok(n) if (1..=max_per_page).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_parameter(
                        code,
                        name,
                        format!("{name} must be an integer from 1 to {max_per_page}"),
                    ));
                }
            },
        };
        Ok(Self { page, per_page })
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_round_trip_for_their_shape_only() {
        let c = CursorCodec::new("secret");
        let cur = c.encode(
            "sort=-last_order_at|filter[lifecycle_stage]=loyal",
            &json!(["2026-05-01T00:00:00Z", "cus_1"]),
        );
        assert_eq!(
            c.decode("sort=-last_order_at|filter[lifecycle_stage]=loyal", &cur)
                .unwrap(),
            json!(["2026-05-01T00:00:00Z", "cus_1"])
        );
        assert_eq!(
            c.decode("sort=email", &cur).unwrap_err().code(),
            "invalid_cursor"
        );
        assert_eq!(
            CursorCodec::new("other")
                .decode("sort=-last_order_at|filter[lifecycle_stage]=loyal", &cur)
                .unwrap_err()
                .code(),
            "invalid_cursor"
        );
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let c = CursorCodec::new("secret");
        let cur = c.encode("s", &json!(["cus_1"]));
        let (p, m) = cur.split_once('.').unwrap();
        let forged_payload = B64.encode(json!({"v":1,"k":["cus_999"]}).to_string());
        for bad in [
            format!("{forged_payload}.{m}"),
            format!("{p}.AAAA"),
            "garbage".into(),
            p.to_owned(),
            "eyJpZCI6ImN1c19hYmMxMjMifQ==".into(),
        ] {
            assert_eq!(
                c.decode("s", &bad).unwrap_err().code(),
                "invalid_cursor",
                "{bad}"
            );
        }
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "abc", ""] {
            assert_eq!(
                parse_limit(Some(bad)).unwrap_err().code(),
                "validation_failed"
            );
        }
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let c = CursorCodec::new("s");
        let page = CursorPage::from_rows(vec![1, 2, 3], 2, &c, "x", |r| json!([r]));
        assert_eq!(page.rows, vec![1, 2]);
        assert!(page.pagination.has_next);
        assert_eq!(
            c.decode("x", page.pagination.next_cursor.as_deref().unwrap())
                .unwrap(),
            json!([2])
        );
        let last = CursorPage::from_rows(vec![1], 2, &c, "x", |r| json!([r]));
        assert!(!last.pagination.has_next);
        assert_eq!(last.pagination.next_cursor, None);
    }

    #[test]
    fn page_params() {
        let p = PageParams::parse(
            Some(("q[page]", "3")),
            Some(("q[perPage]", "20")),
            50,
            200,
            ErrorCode::InvalidQ,
        )
        .unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (3, 20, 40));
        let d = PageParams::parse(None, None, 50, 200, ErrorCode::InvalidQ).unwrap();
        assert_eq!((d.page, d.per_page), (1, 50));
        let e = PageParams::parse(
            None,
            Some(("q[perPage]", "201")),
            50,
            200,
            ErrorCode::InvalidQ,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_q");
        assert_eq!(e.details()["parameter"], "q[perPage]");
        assert!(
            PageParams::parse(Some(("q[page]", "0")), None, 50, 200, ErrorCode::InvalidQ).is_err()
        );
    }
}
