//! Request bodies and query strings of the operator API, validated field by
//! field so each error names its field: unknown fields, wrong types and bad
//! values are 400 `validation_failed` with `details.field`; a body that is not
//! JSON is 400 `invalid_json`; unknown query parameters are 400 `invalid_request`.

use error_envelope::{ApiError, ErrorCode};
use query::CursorCodec;
use serde_json::{Map, Value};
use std::collections::HashMap;

pub struct Fields(Map<String, Value>);

impl Fields {
    /// Parses a JSON object body (an empty body counts as `{}`) allowing only `allowed` fields.
    pub fn parse(raw: &[u8], allowed: &[&str]) -> Result<Self, ApiError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        let value: Value = serde_json::from_slice(raw).map_err(|e| {
            ApiError::from_code(
                ErrorCode::InvalidJson,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        let Value::Object(map) = value else {
            return Err(ApiError::from_code(
                ErrorCode::InvalidRequest,
                "the body must be a JSON object",
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::validation(
                unknown,
                format!("unknown field {unknown:?}; allowed: {}", allowed.join(", ")),
            ));
        }
        Ok(Self(map))
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, field: &str) -> Result<Option<String>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::validation(
                field,
                format!("{field} must be a string"),
            )),
        }
    }

    pub fn str(&self, field: &str) -> Result<String, ApiError> {
        self.opt_str(field)?
            .ok_or_else(|| ApiError::validation(field, format!("{field} is required")))
    }

    pub fn opt_u64(&self, field: &str) -> Result<Option<u64>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                ApiError::validation(field, format!("{field} must be a non-negative integer"))
            }),
        }
    }

    pub fn opt_str_list(&self, field: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_owned).ok_or_else(|| {
                        ApiError::validation(field, format!("{field} must be an array of strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(ApiError::validation(
                field,
                format!("{field} must be an array of strings"),
            )),
        }
    }
}

/// A list request's query: only `allowed` parameters (plus `limit`, `cursor`).
pub struct ListQuery {
    pub params: HashMap<String, String>,
    pub limit: u32,
    cursor: Option<String>,
}

impl ListQuery {
    pub fn parse(raw: HashMap<String, String>, allowed: &[&str]) -> Result<Self, ApiError> {
        if let Some(unknown) = raw
            .keys()
            .find(|k| !allowed.contains(&k.as_str()) && *k != "limit" && *k != "cursor")
        {
            return Err(ApiError::bad_parameter(
                ErrorCode::InvalidRequest,
                unknown,
                format!("unknown query parameter {unknown:?}"),
            ));
        }
        let limit = query::parse_limit(raw.get("limit").map(String::as_str))?;
        let cursor = raw.get("cursor").cloned();
        Ok(Self {
            params: raw,
            limit,
            cursor,
        })
    }

    /// The canonical shape of the filters (cursors are bound to it).
    pub fn shape(&self, resource: &str, filters: &[&str]) -> String {
        let mut shape = resource.to_owned();
        for f in filters {
            shape.push('|');
            shape.push_str(f);
            shape.push('=');
            shape.push_str(self.params.get(*f).map(String::as_str).unwrap_or(""));
        }
        shape
    }

    /// The last id of the previous page, from the cursor.
    pub fn after(&self, codec: &CursorCodec, shape: &str) -> Result<Option<String>, ApiError> {
        let Some(c) = &self.cursor else {
            return Ok(None);
        };
        let keys = codec.decode(shape, c)?;
        keys.get(0)
            .and_then(Value::as_str)
            .map(|s| Some(s.to_owned()))
            .ok_or_else(ApiError::invalid_cursor)
    }
}
