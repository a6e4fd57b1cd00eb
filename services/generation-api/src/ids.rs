//! Public ids: a type prefix and the row's UUID in simple hex (`job_0193…`).

use error_envelope::ApiError;
use uuid::Uuid;

pub const JOB: &str = "job";
pub const BRAND: &str = "brand";
pub const AVATAR: &str = "avt";
pub const WORKSPACE: &str = "ws";

pub fn render(prefix: &str, id: Uuid) -> String {
    format!("{prefix}_{}", id.simple())
}

/// The UUID of `raw` when it carries `prefix`; `None` for anything else.
pub fn parse(prefix: &str, raw: &str) -> Option<Uuid> {
    let hex = raw.strip_prefix(prefix)?.strip_prefix('_')?;
    if hex.len() != 32 {
        return None;
    }
    Uuid::try_parse(hex).ok()
}

/// Like [`parse`], answering 404 for `resource` (a malformed id names no resource).
pub fn parse_or_404(prefix: &str, raw: &str, resource: &str) -> Result<Uuid, ApiError> {
    parse(prefix, raw).ok_or_else(|| ApiError::not_found(resource))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_refuse_other_prefixes() {
        let id = Uuid::now_v7();
        let s = render(JOB, id);
        assert!(s.starts_with("job_"));
        assert_eq!(parse(JOB, &s), Some(id));
        assert_eq!(parse(AVATAR, &s), None);
        assert_eq!(parse(JOB, "job_123"), None);
        assert_eq!(parse(JOB, &format!("job_{}", id.hyphenated())), None);
    }
}
