//! Field-by-field validation of JSON request bodies, so that every refusal
//! names its field (`validation_failed`, `details.field`).
//!
//! A body must be a JSON object; `workspace_id` and `user_id` are refused with
//! 400 `invalid_request` (the workspace and user come only from the key); a
//! field the endpoint does not know is refused by [`Body::finish`].

use error_envelope::{ApiError, codes};
use serde_json::{Map, Value, json};

/// Fields that must never come from a body.
pub const FORBIDDEN: [&str; 2] = ["workspace_id", "user_id"];

pub struct Body {
    fields: Map<String, Value>,
}

impl Body {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::from_code(codes::INVALID_JSON, "the request body is not valid JSON")
                .with_details(json!({ "line": e.line(), "column": e.column() }))
        })?;
        let Value::Object(fields) = value else {
            return Err(ApiError::from_code(
                codes::INVALID_REQUEST,
                "the request body must be a JSON object",
            ));
        };
        if let Some(f) = FORBIDDEN.iter().find(|f| fields.contains_key(**f)) {
            return Err(ApiError::from_code(
                codes::INVALID_REQUEST,
                format!("do not pass {f}: Sume derives the workspace and user from the API key"),
            )
            .with_details(json!({ "field": f })));
        }
        Ok(Self { fields })
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.fields.remove(name) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    /// A string of 1..=`max` characters (after trimming).
    pub fn string(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim().to_owned();
                if s.is_empty() || s.chars().count() > max {
                    Err(ApiError::validation(
                        name,
                        format!("{name} must be 1 to {max} characters"),
                    ))
                } else {
                    Ok(Some(s))
                }
            }
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be a string"),
            )),
        }
    }

    pub fn required_string(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        self.string(name, max)?
            .ok_or_else(|| ApiError::validation(name, format!("{name} is required")))
    }

    /// One of `allowed`.
    pub fn one_of(&mut self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be one of {}", allowed.join(", ")),
            )
            .with_details(json!({ "field": name, "allowed": allowed }))),
        }
    }

    /// An integer in `min..=max`.
    pub fn int(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                _ => Err(ApiError::validation(
                    name,
                    format!("{name} must be an integer from {min} to {max}"),
                )),
            },
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be an integer from {min} to {max}"),
            )),
        }
    }

    pub fn bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be a boolean"),
            )),
        }
    }

    /// A non-empty list of at most `max` strings of 1..=`max_len` characters.
    pub fn strings(
        &mut self,
        name: &str,
        max: usize,
        max_len: usize,
    ) -> Result<Option<Vec<String>>, ApiError> {
        let err = || {
            ApiError::validation(
                name,
                format!("{name} must be a list of 1 to {max} strings of 1 to {max_len} characters"),
            )
        };
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= max => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) if !s.trim().is_empty() && s.chars().count() <= max_len => {
                        Ok(s.trim().to_owned())
                    }
                    _ => Err(err()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(err()),
        }
    }

    /// Refuses any field not consumed so far.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.fields.keys().next() {
            None => Ok(()),
            Some(name) => Err(ApiError::validation(name, format!("unknown field {name}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_names_its_field() {
        let e = Body::parse(br#"{"prompt":"x","workspace_id":"w"}"#)
            .err()
            .unwrap();
        assert_eq!(
            (e.code(), e.details()["field"].as_str()),
            ("invalid_request", Some("workspace_id"))
        );
        assert_eq!(Body::parse(b"[1]").err().unwrap().code(), "invalid_request");
        assert_eq!(Body::parse(b"{").err().unwrap().code(), "invalid_json");
        let mut b = Body::parse(br#"{"n":7,"s":"","l":["a",""],"x":1}"#).unwrap();
        assert_eq!(b.int("n", 1, 4).unwrap_err().details()["field"], "n");
        assert_eq!(b.string("s", 10).unwrap_err().details()["field"], "s");
        assert_eq!(b.strings("l", 5, 10).unwrap_err().details()["field"], "l");
        assert_eq!(b.finish().unwrap_err().details()["field"], "x");
    }
}
