//! The one parser of a condition's value, shared by both dialects.

use crate::{
    spec::{Condition, Field, Op, Operand, like_pattern},
    value::{Value, is_bare_date, storable_text},
};
use error_envelope::{ApiError, ErrorCode};

/// Turns `raw` into a condition on `field` with `op`; errors use `code` and name `parameter`.
/// - `Is`: `null` / `notnull`.
/// - `Like`: escaped substring (no NUL, at most 1000 characters).
/// - `In`: comma-separated values, at most `max_in`; one value becomes `Eq`.
/// - `Le` with a bare date: `< next midnight` (the whole day is included).
pub fn parse_condition<'s, QS>(
    field: &'s Field<QS>,
    op: Op,
    raw: &str,
    parameter: &str,
    code: ErrorCode,
    max_in: usize,
) -> Result<Condition<'s, QS>, ApiError> {
    let bad = |message: String| ApiError::bad_parameter(code, parameter, message);
    let must_be = || bad(format!("{parameter} must be {}", field.kind.describe()));
    let (op, operand) = match op {
        Op::Is => match raw.to_ascii_lowercase().as_str() {
            "null" => (op, Operand::Null(true)),
            "notnull" => (op, Operand::Null(false)),
            _ => return Err(bad(format!("{parameter} must be null or notnull"))),
        },
        Op::Like => {
            let text = storable_text(raw).ok_or_else(|| {
                bad(format!(
                    "{parameter} must be text of at most {} characters without NUL",
                    crate::value::MAX_TEXT
                ))
            })?;
            (op, Operand::Pattern(like_pattern(text)))
        }
        Op::In => {
            let values = raw
                .split(',')
                .map(|v| field.kind.parse(v.trim()).ok_or_else(must_be))
                .collect::<Result<Vec<Value>, ApiError>>()?;
            if values.len() > max_in {
                return Err(bad(format!("{parameter} takes at most {max_in} values")));
            }
            // One value stays an equality (index friendly) when the field has one.
            match <[Value; 1]>::try_from(values) {
                Ok([one]) if field.allows(Op::Eq) => (Op::Eq, Operand::One(one)),
                Ok(one) => (Op::In, Operand::Many(one.into())),
                Err(values) => (Op::In, Operand::Many(values)),
            }
        }
        _ => match (op, field.kind.parse(raw).ok_or_else(must_be)?) {
            (Op::Le, Value::Timestamp(t)) if is_bare_date(raw) && field.allows(Op::Lt) => (
                Op::Lt,
                Operand::One(Value::Timestamp(t + time::Duration::days(1))),
            ),
            (op, value) => (op, Operand::One(value)),
        },
    };
    Ok(Condition {
        field,
        op,
        operand,
        parameter: parameter.to_owned(),
    })
}
