//! Request bodies of POST/PATCH: JSON:API style `{"data":{"attributes":{…}}}`
//! (the seed's PATCH example) or a flat object of attributes (the seed's POST
//! example `{ "name": "Spring Sale", … }`). Every attribute is read through a
//! typed accessor, so a wrong type names its field in `details.field`, and
//! [`Attributes::finish`] refuses unknown and read-only attributes.

use crate::listing::tenant_param_error;
use error_envelope::ApiError;
use query::filter_dialect::TENANT_PARAMS;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The attributes of a write body.
#[derive(Debug)]
pub struct Attributes {
    map: Map<String, Value>,
}

fn refuse_tenant_keys(map: &Map<String, Value>) -> Result<(), ApiError> {
    for key in TENANT_PARAMS {
        if map.contains_key(*key) {
            return Err(tenant_param_error(key));
        }
    }
    Ok(())
}

/// Parses the body as a JSON object (refusing tenant fields anywhere they could hide).
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::from_code(
            error_envelope::ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(ApiError::validation(
            "body",
            "the body must be a JSON object",
        ));
    };
    refuse_tenant_keys(&map)?;
    Ok(map)
}

/// 409 `conflict` naming `field` when a JSON:API member contradicts the request.
pub fn identity_conflict(field: &str, message: String, expected: &str) -> ApiError {
    ApiError::from_code(error_envelope::ErrorCode::Conflict, message)
        .with_details(serde_json::json!({ "field": field, "expected": expected }))
}

/// `data.type` must be `kind` and `data.id` (when the write names one resource) `path_id`.
fn check_identity(
    data: &Map<String, Value>,
    kind: &str,
    path_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(t) = data.get("type")
        && t.as_str() != Some(kind)
    {
        return Err(identity_conflict(
            "data.type",
            format!("data.type must be {kind} for this endpoint"),
            kind,
        ));
    }
    if let (Some(id), Some(expected)) = (data.get("id"), path_id)
        && id.as_str() != Some(expected)
    {
        return Err(identity_conflict(
            "data.id",
            format!("data.id must be the id in the path ({expected})"),
            expected,
        ));
    }
    Ok(())
}

impl Attributes {
    /// The attributes of `body`, a write of resource type `kind` (at `path_id`
    /// for a write to one resource); an empty body means no attributes. A JSON:API
    /// `data.type` other than `kind` or `data.id` other than `path_id` is 409 `conflict`.
    pub fn parse(body: &[u8], kind: &str, path_id: Option<&str>) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { map: Map::new() });
        }
        let mut top = json_object(body)?;
        let Some(data) = top.remove("data") else {
            return Ok(Self { map: top });
        };
        if let Some((k, _)) = top.into_iter().next() {
            return Err(ApiError::validation(
                &k,
                format!("unknown member {k} beside data"),
            ));
        }
        let Value::Object(mut data) = data else {
            return Err(ApiError::validation("data", "data must be an object"));
        };
        refuse_tenant_keys(&data)?;
        check_identity(&data, kind, path_id)?;
        let attributes = data
            .remove("attributes")
            .unwrap_or(Value::Object(Map::new()));
        for k in data.keys() {
            if !["type", "id", "relationships"].contains(&k.as_str()) {
                return Err(ApiError::validation(
                    &format!("data.{k}"),
                    format!("unknown member data.{k}"),
                ));
            }
        }
        let Value::Object(map) = attributes else {
            return Err(ApiError::validation(
                "data.attributes",
                "data.attributes must be an object",
            ));
        };
        refuse_tenant_keys(&map)?;
        Ok(Self { map })
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }

    /// `Some(None)` when the attribute is present and null.
    fn take_nullable(&mut self, name: &str) -> Option<Option<Value>> {
        self.take(name)
            .map(|v| if v.is_null() { None } else { Some(v) })
    }

    fn not_null(name: &str, v: Option<Value>) -> Result<Value, ApiError> {
        v.ok_or_else(|| ApiError::validation(name, format!("{name} cannot be null")))
    }

    fn as_string(name: &str, v: Value, max: usize) -> Result<String, ApiError> {
        match v {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= max => {
                Ok(s.trim().to_owned())
            }
            _ => Err(ApiError::validation(
                name,
                format!("{name} must be a non-empty string of at most {max} characters"),
            )),
        }
    }

    pub fn string(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.take_nullable(name) {
            None => Ok(None),
            Some(v) => Self::as_string(name, Self::not_null(name, v)?, max).map(Some),
        }
    }

    pub fn nullable_string(
        &mut self,
        name: &str,
        max: usize,
    ) -> Result<Option<Option<String>>, ApiError> {
        match self.take_nullable(name) {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(v)) => Self::as_string(name, v, max).map(|s| Some(Some(s))),
        }
    }

    pub fn enumeration(
        &mut self,
        name: &str,
        allowed: &[&str],
    ) -> Result<Option<String>, ApiError> {
        match self.string(name, 64)? {
            None => Ok(None),
            Some(s) if allowed.contains(&s.as_str()) => Ok(Some(s)),
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be one of: {}", allowed.join(", ")),
            )),
        }
    }

    pub fn email(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.string(name, 254)? {
            None => Ok(None),
            Some(s) => {
                let ok = s
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !s.contains(' '));
                if ok {
                    Ok(Some(s.to_lowercase()))
                } else {
                    Err(ApiError::validation(
                        name,
                        format!("{name} must be an email address"),
                    ))
                }
            }
        }
    }

    pub fn boolean(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be true or false"),
            )),
        }
    }

    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::validation(
                    name,
                    format!("{name} must be an integer from {min} to {max}"),
                )),
            },
        }
    }

    fn as_money(name: &str, v: Value) -> Result<i64, ApiError> {
        let text = match &v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        match crate::money::parse_cents(&text) {
            Some(c) if c >= 0 => Ok(c),
            _ => Err(ApiError::validation(
                name,
                format!("{name} must be a non-negative amount with at most 2 decimals"),
            )),
        }
    }

    pub fn money(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.take_nullable(name) {
            None => Ok(None),
            Some(v) => Self::as_money(name, Self::not_null(name, v)?).map(Some),
        }
    }

    pub fn nullable_money(&mut self, name: &str) -> Result<Option<Option<i64>>, ApiError> {
        match self.take_nullable(name) {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(v)) => Self::as_money(name, v).map(|c| Some(Some(c))),
        }
    }

    pub fn nullable_timestamp(
        &mut self,
        name: &str,
    ) -> Result<Option<Option<OffsetDateTime>>, ApiError> {
        match self.take_nullable(name) {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(Value::String(s))) => crate::time_fmt::parse_instant(&s)
                .map(|t| Some(Some(t)))
                .ok_or_else(|| {
                    ApiError::validation(name, format!("{name} must be an RFC 3339 timestamp"))
                }),
            Some(Some(_)) => Err(ApiError::validation(
                name,
                format!("{name} must be an RFC 3339 timestamp"),
            )),
        }
    }

    /// Tags: an array of 1–40 character strings, at most 50, duplicates dropped.
    pub fn tags(&mut self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let err = || {
            ApiError::validation(
                name,
                format!("{name} must be an array of at most 50 strings of 1 to 40 characters"),
            )
        };
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(items)) if items.len() <= 50 => {
                let mut out: Vec<String> = Vec::new();
                for item in items {
                    let Value::String(s) = item else {
                        return Err(err());
                    };
                    let s = s.trim().to_owned();
                    if s.is_empty() || s.chars().count() > 40 {
                        return Err(err());
                    }
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
                Ok(Some(out))
            }
            Some(_) => Err(err()),
        }
    }

    /// A raw JSON value (validated by the caller).
    pub fn raw(&mut self, name: &str) -> Option<Value> {
        self.take(name)
    }

    /// Fails on any attribute left: read-only ones by name, others as unknown.
    pub fn finish(self, read_only: &[&str]) -> Result<(), ApiError> {
        if let Some(k) = self.map.keys().next() {
            if read_only.contains(&k.as_str()) || k == "id" {
                return Err(ApiError::validation(k, format!("{k} is read-only")));
            }
            return Err(ApiError::validation(k, format!("unknown attribute {k}")));
        }
        Ok(())
    }
}
